/** Lease TTL of a registration: a SIGKILLed instance disappears at most this long after its death. */
export const DEFAULT_ETCD_TTL_SECONDS = 5;
/** Every instance key is `<prefix>/<service>/<instance id>`. */
export const DEFAULT_ETCD_PREFIX = '/nestmesh/services';
/** Deadline of one etcd request; a down etcd fails calls after this instead of hanging. */
export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 3_000;
/** Re-registration after a lost lease retries with jittered backoff, doubling between these (ms). */
export const ETCD_REREGISTER_BACKOFF = { initialMs: 100, maxMs: 2_000 } as const;
/**
 * Delay before etcd3's watch manager reconnects its stream, in ms. Our watches end on the
 * first disconnection (see Discovery) and detach at once, so the manager finds nothing to
 * reconnect; a short constant delay keeps its timer from outliving `close()` (its default
 * backoff grows to 30 s).
 */
export const ETCD_WATCH_RECONNECT_MS = 100;
