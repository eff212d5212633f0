import { credentials as grpcCredentials, ServerCredentials } from '@grpc/grpc-js';
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';

import { InvalidGrpcOptionsError } from '../grpc.errors.js';
import { describeCertificate, readCertificateFile } from './pem-files.js';
import { channelCredentialsFor, serverCredentialsFor } from './tls-credentials.js';
import { tlsFromEnv } from './tls-env.js';
import { DEFAULT_TLS_REFRESH_INTERVAL_MS, type MeshTlsOptions } from './tls.options.js';

/** Instance metadata key telling operator tools how to dial an instance: `tls` or `mtls`. */
export const GRPC_TLS_METADATA = 'grpc_tls';

export type TransportMode = 'plaintext' | 'tls' | 'mtls' | 'custom';

interface TransportOptions<Credentials> {
  tls?: MeshTlsOptions | false;
  credentials?: Credentials;
}

/**
 * The TLS settings in force: the `tls` option, else the environment (tlsFromEnv); `false` is
 * plaintext even when GRPC_TLS_* are set. `credentials` with TLS settings is refused, since one
 * of the two would be ignored: pass `tls: false` to use your own credentials.
 */
function tlsInForce<Credentials>(options: TransportOptions<Credentials>): MeshTlsOptions | undefined {
  if (options.tls === false) return undefined;
  if (!options.credentials) return options.tls ?? tlsFromEnv();
  if (options.tls !== undefined) {
    throw new InvalidGrpcOptionsError('credentials', 'and "tls" cannot both be set: pass one of them');
  }
  if (tlsFromEnv()) {
    throw new InvalidGrpcOptionsError(
      'credentials',
      'is set while GRPC_TLS_* are too; pass tls: false to use these credentials instead',
    );
  }
  return undefined;
}

export interface ServerTransport {
  credentials: ServerCredentials;
  mode: TransportMode;
  /** What the server logs once at startup (warn when plaintext). */
  describe(): { level: 'log' | 'warn'; message: string };
}

/** The server's credentials from its `tls`/`credentials` options or the environment, checked now. */
export function serverTransport(options: TransportOptions<ServerCredentials>): ServerTransport {
  const tls = tlsInForce(options);
  if (tls) {
    const credentials = serverCredentialsFor(tls);
    const mode = tls.clientAuth === 'require' ? 'mtls' : 'tls';
    return { credentials, mode, describe: () => ({ level: 'log', message: describeServerTls(tls) }) };
  }
  if (options.credentials?._isSecure()) {
    const message = 'gRPC security from the credentials option (not the tls option)';
    return { credentials: options.credentials, mode: 'custom', describe: () => ({ level: 'log', message }) };
  }
  return {
    credentials: options.credentials ?? ServerCredentials.createInsecure(),
    mode: 'plaintext',
    describe: () => ({ level: 'warn', message: PLAINTEXT_WARNING }),
  };
}

const PLAINTEXT_WARNING =
  'gRPC is plaintext (no TLS): set GRPC_TLS_CERT, GRPC_TLS_KEY and GRPC_TLS_CA ' +
  '(and GRPC_TLS_CLIENT_AUTH=require for mutual TLS), or the tls option, to turn TLS on';

function describeServerTls(tls: MeshTlsOptions): string {
  const certificate = readCertificateFile(tls.certFile ?? '', 'tls.certFile');
  const mode =
    tls.clientAuth === 'require'
      ? `mutual TLS (client certificates verified against ${tls.caFile})`
      : 'TLS (no client certificates)';
  const refreshMs = tls.refreshIntervalMs ?? DEFAULT_TLS_REFRESH_INTERVAL_MS;
  return `gRPC ${mode}; certificate ${tls.certFile}: ${describeCertificate(certificate)}; files re-read every ${refreshMs} ms`;
}

/** Metadata an instance registers so that operator tools know how to dial it. */
export function transportMetadata(mode: TransportMode): Record<string, string> {
  return mode === 'tls' || mode === 'mtls' ? { [GRPC_TLS_METADATA]: mode } : {};
}

/** A mesh client's credentials and the channel options TLS needs, from its options or the environment. */
export function clientTransport(options: TransportOptions<ChannelCredentials>): {
  credentials: ChannelCredentials;
  channelOptions: ChannelOptions;
} {
  const tls = tlsInForce(options);
  if (tls) return channelCredentialsFor(tls);
  return { credentials: options.credentials ?? grpcCredentials.createInsecure(), channelOptions: {} };
}
