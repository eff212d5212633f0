import { Logger } from '@nestjs/common';
import {
  experimental,
  type ChannelCredentials,
  type ChannelOptions,
  type ServerCredentials,
} from '@grpc/grpc-js';

import { GrpcTlsConfigError } from '../grpc.errors.js';
import { CheckedCertificateProvider } from './checked-certificate.provider.js';
import { DEFAULT_TLS_REFRESH_INTERVAL_MS, validateTls, type MeshTlsOptions } from './tls.options.js';

/** grpc-js' channel option that replaces the channel's authority in the server name check. */
export const SERVER_NAME_CHANNEL_OPTION = 'grpc.ssl_target_name_override';

const logger = new Logger('MeshTls');

function providerFor(tls: MeshTlsOptions): CheckedCertificateProvider {
  const files = [tls.certFile, tls.keyFile, tls.caFile].filter(Boolean).join(', ');
  return new CheckedCertificateProvider(
    { ...tls, refreshIntervalMs: tls.refreshIntervalMs ?? DEFAULT_TLS_REFRESH_INTERVAL_MS },
    (problem) => logger.warn(`re-reading ${files}: ${problem}; the previous certificates stay in use`),
  );
}

/**
 * Server credentials that re-read the files every refreshIntervalMs (grpc-js
 * experimental.FileWatcherCertificateProvider + createCertificateProviderServerCredentials):
 * new connections get the new certificate, open ones are untouched. With clientAuth 'require'
 * a client must present a certificate the CA verifies, or its handshake fails.
 * Throws GrpcTlsConfigError for settings that cannot work (validated synchronously).
 */
export function serverCredentialsFor(tls: MeshTlsOptions): ServerCredentials {
  validateTls(tls);
  if (tls.certFile === undefined) {
    throw new GrpcTlsConfigError(
      'tls.certFile',
      'is required on a server (GRPC_TLS_CERT and GRPC_TLS_KEY from the environment)',
    );
  }
  const provider = providerFor(tls);
  const mutual = tls.clientAuth === 'require';
  // grpc-js 1.14 names the parameters (ca, identity) but uses them as (identity, ca): the
  // first provider serves the certificate; a CA provider makes the server ask for client ones.
  return experimental.createCertificateProviderServerCredentials(provider, mutual ? provider : null, mutual);
}

/**
 * Channel credentials (same rotation) and the channel options that go with them
 * (`grpc.ssl_target_name_override` when serverName is set). The server certificate is
 * verified against caFile and must name the channel's authority (for `mesh:///inventory`,
 * `inventory`) or serverName; certFile/keyFile, when set, are presented for mutual TLS.
 */
export function channelCredentialsFor(tls: MeshTlsOptions): {
  credentials: ChannelCredentials;
  channelOptions: ChannelOptions;
} {
  validateTls(tls);
  const provider = providerFor(tls);
  const credentials = experimental.createCertificateProviderChannelCredentials(
    provider,
    tls.certFile === undefined ? null : provider,
  );
  const channelOptions: ChannelOptions = tls.serverName
    ? { [SERVER_NAME_CHANNEL_OPTION]: tls.serverName }
    : {};
  return { credentials, channelOptions };
}
