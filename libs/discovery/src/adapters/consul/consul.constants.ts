/** Consul agent when the URL names none. */
export const DEFAULT_CONSUL_HOST = '127.0.0.1:8500';
/** How often Consul runs an instance's health check. */
export const DEFAULT_CONSUL_CHECK_INTERVAL_MS = 10_000;
/** How long one gRPC health check may take. */
export const DEFAULT_CONSUL_CHECK_TIMEOUT_MS = 5_000;
/** TTL of a TTL check; the registry passes it every TTL/3 while the app is healthy. */
export const DEFAULT_CONSUL_TTL_MS = 10_000;
/**
 * Consul removes an instance whose check has been critical this long (a crashed process), on
 * its reaping cycle (every 30 s): gone between this and this + 30 s after the check turned
 * critical.
 */
export const DEFAULT_CONSUL_DEREGISTER_CRITICAL_AFTER_MS = 60_000;
/** Consul's minimum DeregisterCriticalServiceAfter: it silently raises a shorter one to this. */
export const CONSUL_MIN_DEREGISTER_CRITICAL_AFTER_MS = 60_000;
/** `wait` of a blocking query; up to a sixteenth more is added as jitter, as Consul itself does. */
export const DEFAULT_CONSUL_WAIT_MS = 30_000;
/** The client gives up on a blocking query this long after its wait (Consul may answer late). */
export const CONSUL_CLIENT_TIMEOUT_MARGIN_MS = 5_000;
/** Deadline of non-blocking requests (register, deregister, list). */
export const DEFAULT_CONSUL_REQUEST_TIMEOUT_MS = 5_000;
/** Minimum pause between blocking queries, so a misbehaving index can never make a busy loop. */
export const CONSUL_MIN_QUERY_INTERVAL_MS = 50;
/** A deregistered (maintenance) instance is removed from the catalog by close(), or this long after. */
export const DEFAULT_CONSUL_REMOVE_AFTER_MS = 30_000;
/**
 * The Meta entry in which the registry stores when an instance registered (ISO 8601, wall
 * clock): a key Consul accepts (`^[A-Za-z0-9_-]+$`, not `consul-`), left out of `metadata`
 * when read back; validateInstance refuses `nestmesh_` keys in an app's own metadata.
 */
export const CONSUL_REGISTERED_AT_META_KEY = 'nestmesh_registered_at';
