import { GrpcTlsConfigError, tlsFromEnv, type MeshTlsOptions } from '@nestmesh/grpc';

import { UsageError } from '../cli.errors.js';
import { TLS_FLAG_VARIABLES, type TlsFlags } from './tls-flags.js';

/** A tlsFromEnv error names the variable; the CLI's user may have set it by its flag. */
function withFlags(message: string): string {
  return TLS_FLAG_VARIABLES.reduce(
    (text, { flag, variable }) => text.replace(new RegExp(`\\b${variable}\\b`, 'g'), `${flag} (${variable})`),
    message.replace(/^grpc: (?:tls: )?/, ''),
  );
}

/**
 * The TLS settings to dial with: undefined (plaintext) with `--plaintext` or when neither a flag
 * nor a GRPC_TLS_* variable is set; else what `tlsFromEnv` makes of the variables with each
 * flag given in place of its variable. Settings that cannot work (a missing file, a certificate
 * without its key) are a UsageError naming the flag and variable.
 */
export function tlsSettingsOf(
  flags: TlsFlags,
  env: NodeJS.ProcessEnv = process.env,
): MeshTlsOptions | undefined {
  if (flags.plaintext) return undefined;
  const merged: NodeJS.ProcessEnv = { ...env };
  for (const { key, variable } of TLS_FLAG_VARIABLES)
    if (flags[key] !== undefined) merged[variable] = flags[key];
  try {
    return tlsFromEnv(merged);
  } catch (error) {
    if (error instanceof GrpcTlsConfigError)
      throw new UsageError(`TLS settings: ${withFlags(error.message)}`);
    throw error;
  }
}
