import { Metadata, status as Status } from '@grpc/grpc-js';

import { InvalidErrorDetailsError, RpcError } from '../grpc.errors.js';

/**
 * The trailer by which a server steers its callers' retries (gRFC A6): a delay in ms before
 * the next attempt, or a negative value for "do not retry". grpc-js honours it on its own.
 */
export const RETRY_PUSHBACK_KEY = 'grpc-retry-pushback-ms';

/**
 * Trailer metadata telling a caller's grpc-js when to retry: after `delayMs` (≥ 0, e.g. a shed
 * call: try again soon, elsewhere), or never (`'never'`). Merge it into the status' metadata.
 */
export function retryPushbackMetadata(delayMs: number | 'never'): Metadata {
  if (delayMs !== 'never' && !(Number.isInteger(delayMs) && delayMs >= 0)) {
    throw new InvalidErrorDetailsError(
      `retry pushback must be a whole number of ms ≥ 0 or 'never', got ${delayMs}`,
    );
  }
  const metadata = new Metadata();
  metadata.set(RETRY_PUSHBACK_KEY, delayMs === 'never' ? '-1' : String(delayMs));
  return metadata;
}

/** Failures of a dependency that its own client retried already, or that more load makes worse. */
const OVERLOAD_CODES: ReadonlySet<Status> = new Set([
  Status.UNAVAILABLE,
  Status.DEADLINE_EXCEEDED,
  Status.RESOURCE_EXHAUSTED,
  Status.ABORTED,
]);

/** Errors followed through `cause`, no deeper than this (a cycle ends there too). */
const MAX_CAUSE_DEPTH = 8;

/**
 * True when `error`, or an error in its `cause` chain, is the failure of a call this process
 * made through a mesh client (an RpcError with its `method`, which only the client sets) with
 * an overload code. Its retries were spent at that hop: a caller that retried this call too
 * would multiply them (3 attempts at each of 3 hops is 27 calls on the last service).
 */
export function failedDownstream(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current instanceof Error; depth++) {
    if (current instanceof RpcError && current.method !== undefined && OVERLOAD_CODES.has(current.status)) {
      return true;
    }
    current = current.cause;
  }
  return false;
}

/**
 * `metadata` (the status' trailers, or none) with `grpc-retry-pushback-ms: -1` when the error
 * came from a dependency's failure (see {@link failedDownstream}); a copy, since a
 * downstream error's metadata is that call's own trailers.
 */
export function withDownstreamPushback(error: unknown, metadata: Metadata | undefined): Metadata | undefined {
  if (!failedDownstream(error)) return metadata;
  const trailers = metadata ? metadata.clone() : new Metadata();
  trailers.set(RETRY_PUSHBACK_KEY, '-1');
  return trailers;
}
