import { Client, credentials, status as Status } from '@grpc/grpc-js';
import { channelCredentialsFor, GRPC_TLS_METADATA, type MeshTlsOptions } from '@nestmesh/grpc';
import type { ServiceInstance } from '@nestmesh/discovery';

import { CallFailedError, TlsError } from '../cli.errors.js';
import { targetOf } from '../discovery-backend.js';
import { explainTlsFailure, type TlsDial } from './tls-failure.js';

/** A channel to one instance, and how TLS was set up on it (undefined: plaintext). */
export interface InstanceChannel {
  readonly client: Client;
  readonly target: string;
  readonly tls?: TlsDial;
}

/**
 * Refuses, before dialling, an instance whose registration says it needs what the settings lack:
 * TLS when there are none, a client certificate for mutual TLS. Without this the dial fails as a
 * bare UNAVAILABLE "Failed to connect", which names neither the cause nor the fix.
 */
export function checkTlsSettings(instance: ServiceInstance, tls: MeshTlsOptions | undefined): void {
  const mode = instance.metadata[GRPC_TLS_METADATA];
  if (mode !== 'tls' && mode !== 'mtls') return;
  const mutual = mode === 'mtls';
  const what = `instance ${instance.id} of "${instance.name}" serves gRPC over ${mutual ? 'mutual TLS' : 'TLS'} (registered ${GRPC_TLS_METADATA}=${mode})`;
  if (!tls)
    throw new TlsError(
      `${what}, and this command would dial it in plaintext (--plaintext, or no --tls-* option ` +
        `nor GRPC_TLS_* variable): pass --tls-ca <CA file>` +
        `${mutual ? ' --tls-cert <file> --tls-key <file>' : ''} or set GRPC_TLS_CA` +
        `${mutual ? ', GRPC_TLS_CERT and GRPC_TLS_KEY' : ''}`,
    );
  if (mutual && tls.certFile === undefined)
    throw new TlsError(
      `${what}, which needs a client certificate: pass --tls-cert <file> --tls-key <file> or set GRPC_TLS_CERT and GRPC_TLS_KEY`,
    );
}

/**
 * Opens a channel to `instance`: plaintext without settings, else TLS with the credentials of
 * `@nestmesh/grpc`, checking the name `serverName` (default: the instance's service name, the
 * name the mesh client checks, since an instance registers an IP address).
 */
export function openInstanceChannel(
  instance: ServiceInstance,
  tls: MeshTlsOptions | undefined,
): InstanceChannel {
  const target = targetOf(instance);
  if (!tls) return { client: new Client(target, credentials.createInsecure()), target };
  const serverName = tls.serverName ?? instance.name;
  const secure = channelCredentialsFor({ ...tls, serverName });
  return {
    client: new Client(target, secure.credentials, secure.channelOptions),
    target,
    tls: { target, serverName, caFile: tls.caFile, certFile: tls.certFile },
  };
}

/** An UNAVAILABLE status that a TLS handshake explains, as a TlsError; any other error as it is. */
export function tlsFailureOf(error: unknown, channel: InstanceChannel): unknown {
  if (!channel.tls || !(error instanceof CallFailedError)) return error;
  if (error.status.code !== Status[Status.UNAVAILABLE]) return error;
  const explanation = explainTlsFailure(error.status.message, channel.tls);
  return explanation ? new TlsError(`${error.what} failed: ${explanation}`, { cause: error }) : error;
}
