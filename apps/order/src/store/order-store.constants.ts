import type { BackoffOptions } from '@nestmesh/common';

/** How long Redis remembers a placed idempotency key, in ms: 24 hours, as common payment APIs do. */
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Added to the longest a placement can take (its inventory calls' deadlines) for the time an
 * instance holds an idempotency key while placing, in ms: covers Redis round trips and a
 * loaded event loop, so that a slow but live placement is not taken over.
 */
export const DEFAULT_CLAIM_MARGIN_MS = 5_000;

/** How a request polls a key another instance is placing: 10 ms, doubling up to 250 ms, jittered. */
export const IDEMPOTENCY_POLL_BACKOFF: BackoffOptions = { initialMs: 10, maxMs: 250, jitter: 0.5 };
