import { tlsOf } from './backend-tls.js';
import type { BackendUrl } from './backend-url.js';
import { BackendAuthError } from './common.errors.js';

/** etcd3's `credentials` option: TLS to etcd, with a client certificate when both are set. */
export interface EtcdTlsCredentials {
  rootCertificate: Buffer;
  privateKey?: Buffer;
  certChain?: Buffer;
}

/** What an etcd3 client is built from, read from one `etcd://` or `etcds://` URL. */
export interface EtcdConnection {
  /** Client URLs: `http://host:port`, or `https://` for `etcds://`. */
  hosts: string[];
  /** etcd auth (user and password of the URL); etcd3 authenticates and renews its token. */
  auth?: { username: string; password: string };
  /** Present for `etcds://` with `?ca=` or a client certificate; else https uses the system CAs. */
  credentials?: EtcdTlsCredentials;
  /** gRPC channel options: the name the server certificate must carry, for `?servername=`. */
  grpcOptions?: Record<string, string>;
}

/** What etcd answers when it refuses the credentials (or has auth on and got none). */
const AUTH_REFUSAL = /authentication failed|user name is empty|permission denied/i;

/**
 * The etcd3 options of `etcd[s]://[user:password@]host:2379[,host…][?ca=&cert=&key=&servername=]`
 * (discovery and elections): `etcds://` dials https, verifying etcd against `?ca=` (the
 * system CAs without it) and presenting `?cert=`/`?key=` when given. Refuses a URL without a
 * host; an unreadable TLS file is BackendTlsFileError.
 */
export function etcdConnectionOf(url: BackendUrl): EtcdConnection {
  if (url.hosts.length === 0) url.fail('names no etcd host (etcd://host:2379)');
  const tls = tlsOf(url);
  const connection: EtcdConnection = {
    hosts: url.hosts.map((host) => `${tls ? 'https' : 'http'}://${host}`),
  };
  if (url.credentials) connection.auth = { ...url.credentials };
  if (tls?.ca !== undefined || tls?.cert !== undefined) {
    connection.credentials = {
      // grpc-js' createSsl takes null for "the system CAs"; etcd3's type says Buffer.
      rootCertificate: (tls.ca === undefined ? null : Buffer.from(tls.ca)) as Buffer,
      ...(tls.key === undefined ? {} : { privateKey: Buffer.from(tls.key) }),
      ...(tls.cert === undefined ? {} : { certChain: Buffer.from(tls.cert) }),
    };
  }
  if (tls?.servername !== undefined)
    connection.grpcOptions = { 'grpc.ssl_target_name_override': tls.servername };
  return connection;
}

/**
 * A BackendAuthError naming etcd and `url` (shown redacted) when `error` is etcd refusing the
 * credentials; undefined for any other failure (unreachable, timeout), which may pass.
 */
export function etcdAuthFailure(url: string, error: unknown): BackendAuthError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  return AUTH_REFUSAL.test(message) ? new BackendAuthError('etcd', url, message) : undefined;
}
