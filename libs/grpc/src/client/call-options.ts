import { Metadata, status as Status } from '@grpc/grpc-js';
import type { CallOptions, ServiceError } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import type { CompressionName } from './channel-options.js';

/** Per-call options of a {@link MeshClient} method. */
export interface MeshCallOptions {
  /**
   * Relative deadline in ms, sent to the server as `grpc-timeout`; overrides the client's
   * default (`timeoutMs` for unary calls, `streamTimeoutMs` for the three streaming kinds).
   * When it passes the call fails with DEADLINE_EXCEEDED, in the middle of a stream too.
   */
  timeoutMs?: number;
  /** Absolute deadline; takes precedence over `timeoutMs`. */
  deadline?: Date;
  /** Aborting cancels the call: the server sees the cancellation, the caller gets CANCELLED. */
  signal?: AbortSignal;
  metadata?: Metadata;
  /**
   * Compression of this call's request messages; default: the client's `compression`
   * (`identity` unless set). One other than the client's goes over a sibling channel opened on
   * first use, one per compression name: an extra connection to each instance. An unknown name
   * rejects the call with INVALID_ARGUMENT before anything is sent.
   */
  compression?: CompressionName;
}

/** Options of unary and client-streaming calls, whose result is one response. */
export interface MeshResponseOptions extends MeshCallOptions {
  /**
   * `true`: resolve to `{ response, headers, trailers }` instead of the bare response. On a
   * non-OK status the trailers are on the rejection's `RpcError.metadata`.
   */
  withMetadata?: boolean;
}

/** A response with the metadata the server sent before it (headers) and with its status (trailers). */
export interface WithMetadata<Response> {
  response: Response;
  headers: Metadata;
  trailers: Metadata;
}

export interface MeshClientDefaults {
  /** Deadline for unary calls that set none, in ms; 0 means none. */
  timeoutMs: number;
  /** Deadline for streaming calls (all three kinds) that set none, in ms; 0 means none. */
  streamTimeoutMs: number;
  /**
   * What a call made while handling an inbound call leaves of that call's deadline, in ms
   * (middleware/deadline-budget.ts). Default DEFAULT_BUDGET_MARGIN_MS (5).
   */
  budgetMarginMs?: number;
}

export interface MethodShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: never) => Buffer;
  responseDeserialize: (value: Buffer) => unknown;
}

export const NO_OPTIONS: MeshCallOptions = Object.freeze({});

/** The grpc-js deadline: a Date as given, or ms since the epoch (no Date allocated per call). */
export function deadlineOf(options: MeshCallOptions, defaultTimeoutMs: number): Date | number | undefined {
  if (options.deadline) return options.deadline;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  return timeoutMs > 0 && Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : undefined;
}

/** grpc-js call options carrying the deadline, if any. */
export function callOptionsOf(options: MeshCallOptions, defaultTimeoutMs: number): CallOptions {
  const deadline = deadlineOf(options, defaultTimeoutMs);
  return deadline === undefined ? NO_OPTIONS : { deadline };
}

export function toRpcError(error: ServiceError, method: string): RpcError {
  return new RpcError(error.code ?? Status.UNKNOWN, error.details ?? error.message, {
    metadata: error.metadata,
    method,
    cause: error,
  });
}

/** A grpc-js status error as an RpcError; anything else (a request source's own error) as it is. */
export function asRpcError(error: unknown, method: string): unknown {
  const serviceError = error as Partial<ServiceError> | null;
  return typeof serviceError?.code === 'number' && serviceError.metadata instanceof Metadata
    ? toRpcError(error as ServiceError, method)
    : error;
}

export function abortedBeforeStart(method: string): RpcError {
  return new RpcError(Status.CANCELLED, 'aborted before the call started', { method });
}
