import { Metadata, status as Status } from '@grpc/grpc-js';
import type { Client, ServiceError } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import type { AnyServiceDefinition } from '../server/service-definition.js';

/** Per-call options of a {@link MeshClient} method. */
export interface MeshCallOptions {
  /**
   * Relative deadline in ms, sent to the server as `grpc-timeout`; overrides the client's
   * default. When it passes the call fails with DEADLINE_EXCEEDED.
   */
  timeoutMs?: number;
  /** Absolute deadline; takes precedence over `timeoutMs`. */
  deadline?: Date;
  /** Aborting cancels the call: the server sees the cancellation, the caller gets CANCELLED. */
  signal?: AbortSignal;
  metadata?: Metadata;
}

interface MethodShape {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize: (value: never) => Buffer;
  responseDeserialize: (value: Buffer) => unknown;
}

type RequestOf<M> = M extends { requestSerialize: (value: infer Request) => Buffer } ? Request : never;
type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer Response } ? Response : never;

/**
 * A typed client for a ts-proto grpc-js service definition: unary methods return a Promise,
 * server-streaming methods an AsyncIterable (break out of the loop to cancel). Rejections
 * are {@link RpcError}s carrying the gRPC status. Client-streaming methods are not exposed.
 */
export type MeshClient<S> = {
  [K in keyof S as S[K] extends { requestStream: false } ? K : never]: S[K] extends { responseStream: true }
    ? (request: RequestOf<S[K]>, options?: MeshCallOptions) => AsyncIterable<ResponseOf<S[K]>>
    : (request: RequestOf<S[K]>, options?: MeshCallOptions) => Promise<ResponseOf<S[K]>>;
};

export interface MeshClientDefaults {
  /** Deadline for unary calls that set none, in ms; 0 means none. */
  timeoutMs: number;
  /** Deadline for streaming calls that set none, in ms; 0 means none. */
  streamTimeoutMs: number;
}

/** The grpc-js deadline: a Date as given, or ms since the epoch (no Date allocated per call). */
function deadlineOf(options: MeshCallOptions, defaultTimeoutMs: number): Date | number | undefined {
  if (options.deadline) return options.deadline;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  return timeoutMs > 0 && Number.isFinite(timeoutMs) ? Date.now() + timeoutMs : undefined;
}

function toRpcError(error: ServiceError, method: string): RpcError {
  return new RpcError(error.code ?? Status.UNKNOWN, error.details ?? error.message, {
    metadata: error.metadata,
    method,
    cause: error,
  });
}

const NO_OPTIONS: MeshCallOptions = Object.freeze({});

function unary(client: Client, method: MethodShape, defaults: MeshClientDefaults) {
  const serialize = method.requestSerialize as (value: unknown) => Buffer;
  const { path, responseDeserialize } = method;
  return (request: unknown, options: MeshCallOptions = NO_OPTIONS) =>
    new Promise<unknown>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) {
        reject(new RpcError(Status.CANCELLED, 'aborted before the call started', { method: path }));
        return;
      }
      const deadline = deadlineOf(options, defaults.timeoutMs);
      const call = client.makeUnaryRequest(
        path,
        serialize,
        responseDeserialize,
        request,
        options.metadata ?? new Metadata(),
        deadline === undefined ? NO_OPTIONS : { deadline },
        (error, response) => {
          if (signal) signal.removeEventListener('abort', onAbort);
          if (error) reject(toRpcError(error, path));
          else resolve(response);
        },
      );
      // Only calls that carry a signal pay for a listener.
      const onAbort = () => call.cancel();
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
    });
}

function serverStreaming(client: Client, method: MethodShape, defaults: MeshClientDefaults) {
  const serialize = method.requestSerialize as (value: unknown) => Buffer;
  return async function* (request: unknown, options: MeshCallOptions = {}): AsyncIterable<unknown> {
    const { signal } = options;
    if (signal?.aborted)
      throw new RpcError(Status.CANCELLED, 'aborted before the call started', { method: method.path });
    const call = client.makeServerStreamRequest(
      method.path,
      serialize,
      method.responseDeserialize,
      request,
      options.metadata ?? new Metadata(),
      { deadline: deadlineOf(options, defaults.streamTimeoutMs) },
    );
    const onAbort = () => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const message of call) yield message;
    } catch (error) {
      const serviceError = error as Partial<ServiceError>;
      throw typeof serviceError.code === 'number' ? toRpcError(error as ServiceError, method.path) : error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  };
}

/** Builds the typed methods of `definition` over a grpc-js client (one channel). */
export function createMeshClient<S extends AnyServiceDefinition>(
  definition: S,
  client: Client,
  defaults: MeshClientDefaults,
): MeshClient<S> {
  const methods: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition) as [string, MethodShape][]) {
    if (method.requestStream) continue;
    methods[key] = method.responseStream
      ? serverStreaming(client, method, defaults)
      : unary(client, method, defaults);
  }
  return methods as MeshClient<S>;
}
