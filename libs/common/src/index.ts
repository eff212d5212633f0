export { BackendRegistry, type BackendFactory } from './backend-registry.js';
export {
  BackendUrl,
  redactUrl,
  splitBackendUrls,
  type BackendCredentials,
  type InvalidUrl,
} from './backend-url.js';
export { Backoff, jittered, type BackoffOptions, type Random } from './backoff.js';
export { BACKEND_TLS_QUERY, readTlsFile, tlsOf, type BackendTls } from './backend-tls.js';
export {
  BackendAuthError,
  BackendTlsFileError,
  InvalidBackendUrlError,
  type BackendKind,
} from './common.errors.js';
export {
  etcdAuthFailure,
  etcdConnectionOf,
  type EtcdConnection,
  type EtcdTlsCredentials,
} from './etcd-connection.js';
export { credentialsCheckedOrClosed, type CredentialsCheckable } from './credentials-checked.js';
export { promiseTry } from './promise-try.js';
