import { GrpcTlsConfigError } from '../grpc.errors.js';
import { validateTls, type MeshTlsOptions, type TlsSettingNames } from './tls.options.js';

/** The environment variable of each TLS setting. */
export const TLS_ENV_NAMES: TlsSettingNames = {
  certFile: 'GRPC_TLS_CERT',
  keyFile: 'GRPC_TLS_KEY',
  caFile: 'GRPC_TLS_CA',
  clientAuth: 'GRPC_TLS_CLIENT_AUTH',
  serverName: 'GRPC_TLS_SERVER_NAME',
  refreshIntervalMs: 'GRPC_TLS_REFRESH_MS',
};

/**
 * GRPC_TLS_CERT, GRPC_TLS_KEY, GRPC_TLS_CA, GRPC_TLS_CLIENT_AUTH=require|none,
 * GRPC_TLS_SERVER_NAME, GRPC_TLS_REFRESH_MS → options; undefined when none is set (an empty
 * value counts as unset). Incomplete or invalid settings are a GrpcTlsConfigError naming the
 * variable: a certificate without its key, no GRPC_TLS_CA, a file that does not exist or is not
 * PEM, a key that does not match its certificate, an unknown GRPC_TLS_CLIENT_AUTH.
 */
export function tlsFromEnv(env: NodeJS.ProcessEnv = process.env): MeshTlsOptions | undefined {
  const value = (name: keyof MeshTlsOptions): string | undefined => env[TLS_ENV_NAMES[name]] || undefined;
  const names = Object.keys(TLS_ENV_NAMES) as (keyof MeshTlsOptions)[];
  if (names.every((name) => value(name) === undefined)) return undefined;
  const tls: MeshTlsOptions = { caFile: value('caFile') ?? '' };
  for (const name of ['certFile', 'keyFile', 'serverName'] as const) {
    const given = value(name);
    if (given !== undefined) tls[name] = given;
  }
  const clientAuth = value('clientAuth');
  if (clientAuth !== undefined) tls.clientAuth = clientAuth as MeshTlsOptions['clientAuth'];
  const refresh = value('refreshIntervalMs');
  if (refresh !== undefined) {
    if (!/^\d+$/.test(refresh)) {
      throw new GrpcTlsConfigError(
        TLS_ENV_NAMES.refreshIntervalMs,
        `must be a whole number of ms > 0, got ${JSON.stringify(refresh)}`,
      );
    }
    tls.refreshIntervalMs = Number(refresh);
  }
  validateTls(tls, TLS_ENV_NAMES);
  return tls;
}
