/** Lease TTL of a registration: a SIGKILLed instance disappears at most this long after its death. */
export const DEFAULT_ETCD_TTL_SECONDS = 5;
/** Every instance key is `<prefix>/<service>/<instance id>`. */
export const DEFAULT_ETCD_PREFIX = '/nestmesh/services';
/** Deadline of one etcd request; a down etcd fails calls after this instead of hanging. */
export const DEFAULT_ETCD_REQUEST_TIMEOUT_MS = 3_000;
/** A lease keep-alive that failed is sent again after this long, in ms (renewals go every TTL/3). */
export const ETCD_RENEW_RETRY_MS = 200;
/**
 * Re-registration after a lost lease retries with jittered backoff, doubling between these (ms);
 * the registry caps the delay at TTL/2 too. A lease the registrar gave up during a lost quorum
 * still lives about a TTL (plus an election timeout) after the quorum is back, since the new
 * leader renews every lease: retrying within half a TTL re-registers the instance before that
 * old key expires, so watchers see no instance vanish and come back.
 */
export const ETCD_REREGISTER_BACKOFF = { initialMs: 100, maxMs: 2_000 } as const;
/**
 * The first re-registration after a lost lease waits a random 0..this long, in ms (default: the
 * lesser of 1 s and TTL/5). Leases are lost together (etcd wiped, quorum back after an outage
 * longer than the TTL), and every instance's renewal retries within the same 200 ms: without a
 * spread all of them would grant, put and watch-notify at once (a thundering herd on etcd and
 * on every watching client).
 */
export const ETCD_REREGISTER_SPREAD_MS = 1_000;
/**
 * Delay before etcd3's watch manager reconnects its stream, in ms. Our watches end on the
 * first disconnection (see Discovery) and detach at once, so the manager finds nothing to
 * reconnect; a short constant delay keeps its timer from outliving `close()` (its default
 * backoff grows to 30 s).
 */
export const ETCD_WATCH_RECONNECT_MS = 100;
/**
 * gRPC keep-alive ping interval while a watch or keep-alive stream is open, in ms. A ping
 * unanswered within the request timeout closes the connection, so an etcd that stops
 * answering (a partition, a stopped process) ends watches with RegistryUnavailableError
 * instead of leaving them silent. etcd refuses pings more often than every 5 s by default.
 */
export const DEFAULT_ETCD_KEEPALIVE_MS = 10_000;
/** etcd's default `--grpc-keepalive-min-time`: it answers more frequent pings with GOAWAY. */
export const ETCD_MIN_KEEPALIVE_MS = 5_000;
