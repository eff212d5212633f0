import { readFileSync } from 'node:fs';

import type { BackendUrl } from './backend-url.js';
import { BackendTlsFileError } from './common.errors.js';

/**
 * What a TLS client needs to reach a backend, read from the URL's query: PEM text, never file
 * paths. `ca` absent = the system's CAs; `cert` and `key` together = a client certificate (mTLS).
 */
export interface BackendTls {
  ca?: string;
  cert?: string;
  key?: string;
  /** The name the server certificate must carry, when it is not the host dialled (`?servername=`). */
  servername?: string;
}

/** The query parameters {@link tlsOf} reads; adapters accept them next to their own. */
export const BACKEND_TLS_QUERY = ['ca', 'cert', 'key', 'servername'] as const;

/** The TLS schemes: a plain scheme with an `s` (`rediss`, `etcds`, `consuls`). */
const TLS_SCHEMES = new Set(['rediss', 'etcds', 'consuls', 'https']);

/**
 * The TLS settings of `url`: undefined for a plaintext scheme (`redis://`, `etcd://`), the files
 * of `?ca=`, `?cert=`, `?key=` read for a TLS scheme (`rediss://`, `etcds://`, `consuls://`).
 * A file that cannot be read raises BackendTlsFileError naming the parameter and the file; TLS
 * parameters on a plaintext URL, or `cert` without `key`, raise the URL's own typed error
 * (`url.fail`): a setting that would be ignored is refused.
 */
export function tlsOf(url: BackendUrl): BackendTls | undefined {
  const given = BACKEND_TLS_QUERY.filter((name) => url.string(name) !== undefined);
  if (!TLS_SCHEMES.has(url.scheme)) {
    if (given.length > 0)
      url.fail(`${given.map((name) => `?${name}=`).join(', ')} needs a TLS scheme (${url.scheme}s://)`);
    return undefined;
  }
  const certFile = url.string('cert');
  const keyFile = url.string('key');
  if ((certFile === undefined) !== (keyFile === undefined))
    url.fail('a client certificate needs both ?cert= and ?key=');
  const tls: BackendTls = {};
  const caFile = url.string('ca');
  if (caFile !== undefined) tls.ca = readTlsFile(url, '?ca', caFile);
  if (certFile !== undefined) tls.cert = readTlsFile(url, '?cert', certFile);
  if (keyFile !== undefined) tls.key = readTlsFile(url, '?key', keyFile);
  const servername = url.string('servername');
  if (servername !== undefined) tls.servername = servername;
  return tls;
}

/**
 * The PEM text of `file`, named by `source` (`?ca`, or a variable such as `CONSUL_CACERT`) of
 * the backend `url`; BackendTlsFileError naming both when it cannot be read or is not PEM.
 */
export function readTlsFile(url: BackendUrl, source: string, file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new BackendTlsFileError(url, source, file, `cannot be read (${reason})`);
  }
  if (!text.includes('-----BEGIN ')) throw new BackendTlsFileError(url, source, file, 'is not PEM');
  return text;
}
