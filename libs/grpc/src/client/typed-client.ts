import { Metadata } from '@grpc/grpc-js';
import type { Client, StatusObject } from '@grpc/grpc-js';

import type { AnyServiceDefinition } from '../server/service-definition.js';
import {
  abortedBeforeStart,
  NO_OPTIONS,
  toRpcError,
  type MeshCallOptions,
  type MeshClientDefaults,
  type MeshResponseOptions,
  type MethodShape,
  type WithMetadata,
} from './call-options.js';
import {
  budgetedCallOptions,
  cancelWithInbound,
  DEFAULT_BUDGET_MARGIN_MS,
} from './middleware/deadline-budget.js';
import { channelSourceOf, type ChannelSource, type MeshChannels } from './mesh-channels.js';
import type { RequestSource } from './request-stream.js';
import {
  bidiStreaming,
  clientStreaming,
  serverStreaming,
  type MeshBidiStream,
  type MeshResponseStream,
} from './streaming-calls.js';

export type {
  MeshCallOptions,
  MeshClientDefaults,
  MeshResponseOptions,
  WithMetadata,
} from './call-options.js';

type RequestOf<M> = M extends { requestSerialize: (value: infer Request) => Buffer } ? Request : never;
type ResponseOf<M> = M extends { responseDeserialize: (value: Buffer) => infer Response } ? Response : never;
type WithMetadataOptions = MeshResponseOptions & { withMetadata: true };
type BareOptions = MeshResponseOptions & { withMetadata?: false };

export interface UnaryMethod<Request, Response> {
  (request: Request, options: WithMetadataOptions): Promise<WithMetadata<Response>>;
  (request: Request, options?: BareOptions): Promise<Response>;
}

export interface ClientStreamingMethod<Request, Response> {
  (requests: RequestSource<Request>, options: WithMetadataOptions): Promise<WithMetadata<Response>>;
  (requests: RequestSource<Request>, options?: BareOptions): Promise<Response>;
}

export type ServerStreamingMethod<Request, Response> = (
  request: Request,
  options?: MeshCallOptions,
) => MeshResponseStream<Response>;

export type BidiStreamingMethod<Request, Response> = (
  options?: MeshCallOptions,
) => MeshBidiStream<Request, Response>;

type MethodOf<M> = M extends { requestStream: true }
  ? M extends { responseStream: true }
    ? BidiStreamingMethod<RequestOf<M>, ResponseOf<M>>
    : ClientStreamingMethod<RequestOf<M>, ResponseOf<M>>
  : M extends { responseStream: true }
    ? ServerStreamingMethod<RequestOf<M>, ResponseOf<M>>
    : UnaryMethod<RequestOf<M>, ResponseOf<M>>;

/**
 * A typed client for a ts-proto grpc-js service definition, one method per RPC:
 * - unary: `(request, options?) => Promise<Response>`;
 * - server streaming: `(request, options?) => AsyncIterable<Response>` (break cancels);
 * - client streaming: `(requests, options?) => Promise<Response>`, requests an AsyncIterable,
 *   Iterable or Observable, sent with back-pressure;
 * - bidirectional: `(options?) => { write, end, cancel, [Symbol.asyncIterator] }`.
 * `{ withMetadata: true }` makes the two single-response kinds resolve to
 * `{ response, headers, trailers }`; streams carry `headers`/`trailers` promises. Non-OK
 * statuses are {@link RpcError}s.
 */
export type MeshClient<S> = { [K in keyof S]: MethodOf<S[K]> };

function unary(channels: ChannelSource, method: MethodShape, defaults: MeshClientDefaults) {
  const serialize = method.requestSerialize as (value: unknown) => Buffer;
  const { path, responseDeserialize } = method;
  const main = channels.main;
  const marginMs = defaults.budgetMarginMs ?? DEFAULT_BUDGET_MARGIN_MS;
  return (request: unknown, options: MeshResponseOptions = NO_OPTIONS) =>
    new Promise<unknown>((resolve, reject) => {
      const { signal, compression } = options;
      if (signal?.aborted) return reject(abortedBeforeStart(path));
      // A bad compression or a spent deadline budget throws an RpcError here, which rejects
      // the promise: nothing is sent.
      const client = compression === undefined ? main : channels.for(compression, path);
      const { callOptions, inbound } = budgetedCallOptions(options, defaults.timeoutMs, marginMs, path);
      let headers: Metadata | undefined;
      const call = client.makeUnaryRequest(
        path,
        serialize,
        responseDeserialize,
        request,
        options.metadata ?? new Metadata(),
        callOptions,
        (error, response) => {
          if (signal) signal.removeEventListener('abort', onAbort);
          if (error) reject(toRpcError(error, path));
          else if (!options.withMetadata) resolve(response);
          // grpc-js emits 'status' right after this callback: the trailers come with it.
          else
            call.once('status', (status: StatusObject) => resolve(withMetadata(response, headers, status)));
        },
      );
      // Only calls that ask for metadata, or carry a signal, pay for a listener.
      if (options.withMetadata) call.once('metadata', (received: Metadata) => (headers = received));
      cancelWithInbound(call, inbound);
      const onAbort = () => call.cancel();
      if (signal) signal.addEventListener('abort', onAbort, { once: true });
    });
}

function withMetadata(response: unknown, headers: Metadata | undefined, status: StatusObject) {
  return { response, headers: headers ?? new Metadata(), trailers: status.metadata };
}

/**
 * Builds the typed methods of `definition` over a grpc-js client (one channel; calls may not
 * set `compression`) or over MeshChannels (a call's `compression` picks its channel).
 */
export function createMeshClient<S extends AnyServiceDefinition>(
  definition: S,
  channel: Client | MeshChannels,
  defaults: MeshClientDefaults,
): MeshClient<S> {
  const channels = channelSourceOf(channel);
  const methods: Record<string, unknown> = {};
  for (const [key, method] of Object.entries(definition) as [string, MethodShape][]) {
    if (method.requestStream) {
      methods[key] = method.responseStream
        ? bidiStreaming(channels, method, defaults)
        : clientStreaming(channels, method, defaults);
    } else {
      methods[key] = method.responseStream
        ? serverStreaming(channels, method, defaults)
        : unary(channels, method, defaults);
    }
  }
  return methods as MeshClient<S>;
}
