import { Metadata, status as Status } from '@grpc/grpc-js';
import type { Client, ClientReadableStream, ServiceError, StatusObject } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import {
  abortedBeforeStart,
  asRpcError,
  NO_OPTIONS,
  type MeshCallOptions,
  type MeshClientDefaults,
  type MeshResponseOptions,
  type MethodShape,
} from './call-options.js';
import type { ChannelSource } from './mesh-channels.js';
import { currentInboundCall } from '../server/call-context.js';
import {
  budgetedCallOptions,
  cancelWithInbound,
  DEFAULT_BUDGET_MARGIN_MS,
  type BudgetedCall,
} from './middleware/deadline-budget.js';
import { captureMetadata, PendingMetadata, type ResponseMetadata } from './response-metadata.js';
import { iterableOf, RequestWriter, writeAll, type RequestSource } from './request-stream.js';

/** Responses of a server-streaming call: `for await` them (break cancels); metadata as promises. */
export interface MeshResponseStream<Response> extends AsyncIterable<Response>, ResponseMetadata {}

/**
 * A bidirectional call, started when the method is called: `write` requests (each resolves
 * once grpc-js' buffer has room), `end()` when done, and `for await` the responses (once).
 * Breaking out of the loop, `cancel()` or the call's signal cancel the call on the server.
 */
export interface MeshBidiStream<Request, Response> extends MeshResponseStream<Response> {
  write(message: Request): Promise<void>;
  end(): void;
  cancel(): void;
}

/** grpc-js emits 'error' for a failed stream; the status reaches the reader, so one unread must not throw. */
const ignore = () => undefined;

/** Reads a response stream; a non-OK status (even one that came before reading) throws an RpcError. */
async function* readResponses<Response>(
  call: ClientReadableStream<Response>,
  path: string,
  status: Promise<StatusObject>,
): AsyncGenerator<Response> {
  let completed = false;
  try {
    for await (const message of call) yield message as Response;
    const { code, details, metadata } = await status;
    if (code !== Status.OK) throw new RpcError(code, details, { metadata, method: path });
    completed = true;
  } catch (error) {
    throw asRpcError(error, path);
  } finally {
    // Break, a throw in the caller's loop or a failed call: the server must stop too.
    if (!completed) call.cancel();
  }
}

function statusOf(call: NodeJS.EventEmitter): Promise<StatusObject> {
  return new Promise((resolve) => call.once('status', resolve));
}

/** Cancels `call` when `signal` aborts, until the call has its status. */
function cancelOnAbort(
  call: NodeJS.EventEmitter & { cancel(): void },
  signal: AbortSignal | undefined,
): void {
  if (!signal) return;
  const onAbort = () => call.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  call.once('status', () => signal.removeEventListener('abort', onAbort));
}

export function serverStreaming(channels: ChannelSource, method: MethodShape, defaults: MeshClientDefaults) {
  const serialize = method.requestSerialize as (value: unknown) => Buffer;
  const { path, responseDeserialize } = method;
  const marginMs = defaults.budgetMarginMs ?? DEFAULT_BUDGET_MARGIN_MS;
  return (request: unknown, options: MeshCallOptions = NO_OPTIONS): MeshResponseStream<unknown> => {
    const metadata = new PendingMetadata();
    // The budget is that of the handler the method is called in, wherever it is iterated.
    const inbound = currentInboundCall();
    // The call starts when iteration does, so a stream never iterated opens nothing.
    async function* responses(): AsyncGenerator<unknown> {
      if (options.signal?.aborted) {
        metadata.neverStarted();
        throw abortedBeforeStart(path);
      }
      let client: Client;
      let budgeted: BudgetedCall;
      try {
        client = clientFor(channels, options, path);
        budgeted = budgetedCallOptions(options, defaults.streamTimeoutMs, marginMs, path, inbound);
      } catch (error) {
        metadata.neverStarted();
        throw error;
      }
      const call = client.makeServerStreamRequest(
        path,
        serialize,
        responseDeserialize,
        request,
        options.metadata ?? new Metadata(),
        budgeted.callOptions,
      );
      call.on('error', ignore);
      metadata.follow(call);
      cancelOnAbort(call, options.signal);
      cancelWithInbound(call, inbound);
      yield* readResponses(call, path, statusOf(call));
    }
    return {
      [Symbol.asyncIterator]: () => responses(),
      headers: metadata.headers,
      trailers: metadata.trailers,
    };
  };
}

export function clientStreaming(channels: ChannelSource, method: MethodShape, defaults: MeshClientDefaults) {
  const serialize = method.requestSerialize as (value: unknown) => Buffer;
  const { path, responseDeserialize } = method;
  const marginMs = defaults.budgetMarginMs ?? DEFAULT_BUDGET_MARGIN_MS;
  return (requests: RequestSource<unknown>, options: MeshResponseOptions = NO_OPTIONS) =>
    new Promise<unknown>((resolve, reject) => {
      if (options.signal?.aborted) return reject(abortedBeforeStart(path));
      let source: AsyncIterable<unknown> | Iterable<unknown>;
      let budgeted: BudgetedCall;
      try {
        source = iterableOf(requests, path);
        budgeted = budgetedCallOptions(options, defaults.streamTimeoutMs, marginMs, path);
      } catch (error) {
        return reject(error);
      }
      let sourceError: { error: unknown } | undefined;
      let response: unknown;
      // A bad compression throws an RpcError here, which rejects the promise: nothing is sent.
      const call = clientFor(channels, options, path).makeClientStreamRequest(
        path,
        serialize,
        responseDeserialize,
        options.metadata ?? new Metadata(),
        budgeted.callOptions,
        (error: ServiceError | null, value?: unknown) => {
          if (sourceError) reject(sourceError.error);
          else if (error) reject(asRpcError(error, path));
          else response = value;
        },
      );
      call.on('error', ignore);
      const metadata = captureMetadata(call);
      // grpc-js runs the callback just before emitting 'status': the trailers are known here.
      call.once('status', (status: StatusObject) => {
        if (status.code !== Status.OK || sourceError) return;
        if (!options.withMetadata) return resolve(response);
        void metadata.headers.then((headers) => resolve({ response, headers, trailers: status.metadata }));
      });
      cancelOnAbort(call, options.signal);
      cancelWithInbound(call, budgeted.inbound);
      const writer = new RequestWriter(call, path);
      writeAll(source, writer).catch((error: unknown) => {
        // A failed call rejects through its status; only the source's own failure is reported here.
        if (writer.finished) return;
        sourceError = { error };
        call.cancel();
      });
    });
}

export function bidiStreaming(channels: ChannelSource, method: MethodShape, defaults: MeshClientDefaults) {
  const serialize = method.requestSerialize as (value: unknown) => Buffer;
  const { path, responseDeserialize } = method;
  const marginMs = defaults.budgetMarginMs ?? DEFAULT_BUDGET_MARGIN_MS;
  return (options: MeshCallOptions = NO_OPTIONS): MeshBidiStream<unknown, unknown> => {
    if (options.signal?.aborted) return failedBeforeStart(abortedBeforeStart(path));
    let client: Client;
    let budgeted: BudgetedCall;
    try {
      client = clientFor(channels, options, path);
      budgeted = budgetedCallOptions(options, defaults.streamTimeoutMs, marginMs, path);
    } catch (error) {
      return failedBeforeStart(error);
    }
    const call = client.makeBidiStreamRequest(
      path,
      serialize,
      responseDeserialize,
      options.metadata ?? new Metadata(),
      budgeted.callOptions,
    );
    call.on('error', ignore);
    const { headers, trailers } = captureMetadata(call);
    const status = statusOf(call);
    cancelOnAbort(call, options.signal);
    cancelWithInbound(call, budgeted.inbound);
    const writer = new RequestWriter(call, path);
    return {
      write: (message) => writer.write(message),
      end: () => writer.end(),
      cancel: () => call.cancel(),
      [Symbol.asyncIterator]: () => readResponses(call, path, status),
      headers,
      trailers,
    };
  };
}

/** The channel of a call's compression; throws an RpcError for one that cannot be used. */
function clientFor(channels: ChannelSource, options: MeshCallOptions, path: string): Client {
  return options.compression === undefined ? channels.main : channels.for(options.compression, path);
}

/**
 * A bidi call refused before it started (its signal had aborted, its options cannot work):
 * nothing was sent; writing or reading it rejects with `error`.
 */
function failedBeforeStart(error: unknown): MeshBidiStream<unknown, unknown> {
  const metadata = new PendingMetadata();
  metadata.neverStarted();
  const fail = () => Promise.reject(error);
  return {
    write: fail,
    end: ignore,
    cancel: ignore,
    [Symbol.asyncIterator]: () => ({ next: fail }),
    headers: metadata.headers,
    trailers: metadata.trailers,
  };
}
