/** Lease TTL when the caller gives none: long enough to ride out a GC pause, short enough to fail over. */
export const DEFAULT_LOCK_TTL_MS = 10_000;
/** Renewals go out every TTL × this (about TTL/3), leaving two more tries before the deadline. */
export const RENEW_INTERVAL_FRACTION = 1 / 3;
/**
 * The signal fires when the lease has not been confirmed by `confirmedUntil − TTL × this`:
 * work stops a fifth of a TTL before the lease could run out, room for clock drift and the
 * time the abort takes to reach the work.
 */
export const RENEW_DEADLINE_MARGIN_FRACTION = 1 / 5;
/** acquire() retries with jittered backoff doubling between these, in ms. */
export const ACQUIRE_BACKOFF_MS = [5, 250] as const;
