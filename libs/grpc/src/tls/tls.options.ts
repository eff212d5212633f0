import { GrpcTlsConfigError } from '../grpc.errors.js';
import { readCertificateFile, readKeyFile } from './pem-files.js';

/** TLS of a mesh gRPC server or client; files are PEM, re-read every `refreshIntervalMs`. */
export interface MeshTlsOptions {
  /** PEM certificate chain of this side. Server: required. Client: presented when set (mTLS). */
  certFile?: string;
  /** PEM private key of certFile. */
  keyFile?: string;
  /** PEM CA bundle that verifies the peer: the server's (client side), client certs (server side with clientAuth 'require'). */
  caFile: string;
  /** Server: 'require' = mutual TLS, client certificates verified against caFile. Default 'none'. */
  clientAuth?: 'none' | 'require';
  /**
   * Client: the name the server certificate must carry (SAN). Default: the service name dialled
   * (`mesh:///inventory` checks `inventory`; grpc-js verifies the channel's authority), so each
   * service's certificate carries its service name as a DNS SAN. Set it (or GRPC_TLS_SERVER_NAME)
   * when all services share one certificate name.
   */
  serverName?: string;
  /** How often the files are re-read for rotation, in ms. Default 60 000 (GRPC_TLS_REFRESH_MS). */
  refreshIntervalMs?: number;
}

/** How often certificate files are re-read when `refreshIntervalMs` is not given. */
export const DEFAULT_TLS_REFRESH_INTERVAL_MS = 60_000;

/** What each setting is called where it came from: options (`tls.certFile`) or environment. */
export type TlsSettingNames = Record<keyof MeshTlsOptions, string>;

export const TLS_OPTION_NAMES: TlsSettingNames = {
  certFile: 'tls.certFile',
  keyFile: 'tls.keyFile',
  caFile: 'tls.caFile',
  clientAuth: 'tls.clientAuth',
  serverName: 'tls.serverName',
  refreshIntervalMs: 'tls.refreshIntervalMs',
};

const CLIENT_AUTH_VALUES: readonly string[] = ['none', 'require'];

/**
 * Checks TLS settings and the files they name, synchronously, so that a bad configuration
 * fails at startup with a GrpcTlsConfigError naming the setting: a certificate without its key
 * (or the reverse), a file missing or not PEM, a key that does not match its certificate.
 */
export function validateTls(tls: MeshTlsOptions, names: TlsSettingNames = TLS_OPTION_NAMES): void {
  if (!tls || typeof tls !== 'object') {
    throw new GrpcTlsConfigError('tls', 'must be an object ({ caFile, certFile?, keyFile?, … }) or false');
  }
  if (typeof tls.caFile !== 'string' || tls.caFile === '') {
    throw new GrpcTlsConfigError(names.caFile, 'is required: the PEM CA bundle that verifies the peer');
  }
  readCertificateFile(tls.caFile, names.caFile);
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    const [given, missing] =
      tls.certFile === undefined ? [names.keyFile, names.certFile] : [names.certFile, names.keyFile];
    throw new GrpcTlsConfigError(
      missing,
      `is required when ${given} is set: a certificate goes with its key`,
    );
  }
  if (tls.certFile !== undefined && tls.keyFile !== undefined) {
    const certificate = readCertificateFile(tls.certFile, names.certFile);
    const key = readKeyFile(tls.keyFile, names.keyFile);
    if (!certificate.checkPrivateKey(key)) {
      throw new GrpcTlsConfigError(
        names.keyFile,
        `(${tls.keyFile}) is not the private key of ${names.certFile} (${tls.certFile})`,
      );
    }
  }
  if (tls.clientAuth !== undefined && !CLIENT_AUTH_VALUES.includes(tls.clientAuth)) {
    throw new GrpcTlsConfigError(
      names.clientAuth,
      `must be "require" or "none", got ${JSON.stringify(tls.clientAuth)}`,
    );
  }
  if (tls.serverName !== undefined && (typeof tls.serverName !== 'string' || tls.serverName === '')) {
    throw new GrpcTlsConfigError(
      names.serverName,
      `must be a host name, got ${JSON.stringify(tls.serverName)}`,
    );
  }
  const refresh = tls.refreshIntervalMs;
  if (refresh !== undefined && !(Number.isInteger(refresh) && refresh > 0)) {
    throw new GrpcTlsConfigError(names.refreshIntervalMs, `must be a whole number of ms > 0, got ${refresh}`);
  }
}
