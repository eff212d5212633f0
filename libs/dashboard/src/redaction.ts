// What the dashboard shows never carries a secret: URLs lose their passwords and secret query
// values (redactUrl, the rule every NestMesh message follows), and metadata whose key names a
// secret is hidden whole.
import { redactUrl } from '@nestmesh/common';

const SECRET_KEY = /pass(word)?|secret|token|api[-_.]?key|credential|auth/i;

/** Instance metadata as shown: URL credentials masked in every value, secret-named keys hidden. */
export function redactMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {}))
    shown[key] = SECRET_KEY.test(key) ? '***' : redactUrl(String(value));
  return shown;
}
