/** Lease TTL of a registration: a SIGKILLed instance disappears at most this long after its death. */
export const DEFAULT_ETCD_TTL_SECONDS = 5;
/** Every instance key is `<prefix>/<service>/<instance id>`. */
export const DEFAULT_ETCD_PREFIX = '/nestmesh/services';
/** Deadline of one etcd request; a down etcd fails calls after this instead of hanging. */
export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 3_000;
/** Re-registration after a lost lease retries with jittered backoff, doubling between these (ms). */
export const ETCD_RETRY_BACKOFF_MS = [100, 2_000] as const;
