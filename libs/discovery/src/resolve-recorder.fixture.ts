// Module-resolution hooks (module.register) that append every URL the ESM loader resolves to
// a file: the proof, for discovery-backend.spec, of which packages a process really loaded.
import { appendFileSync } from 'node:fs';

interface Resolved {
  url: string;
}
type NextResolve = (specifier: string, context: unknown) => Promise<Resolved>;

let record = '';

export function initialize(data: { record: string }): void {
  record = data.record;
}

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: NextResolve,
): Promise<Resolved> {
  const resolved = await nextResolve(specifier, context);
  appendFileSync(record, `${resolved.url}\n`);
  return resolved;
}
