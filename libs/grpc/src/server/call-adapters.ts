import { isObservable } from 'rxjs';
import type { Subscription } from 'rxjs';
import type {
  handleServerStreamingCall,
  handleUnaryCall,
  StatusObject,
  ServerDuplexStream,
  ServerWritableStream,
} from '@grpc/grpc-js';
import { once } from 'node:events';

import type { NestHandler } from './grpc-handler.explorer.js';

/** Turns whatever a handler threw into the status object grpc-js sends. */
export type ErrorToStatus = (error: unknown, method: string) => Partial<StatusObject>;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * A unary grpc-js handler around a Nest handler: a value or a resolved promise answers OK,
 * a throw or a rejection answers the mapped status. A synchronous result is answered
 * without a promise hop.
 */
export function unaryCall(
  handler: NestHandler,
  toStatus: ErrorToStatus,
  method: string,
): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    let result: unknown;
    try {
      result = handler(call.request, call.metadata, call);
    } catch (error) {
      callback(toStatus(error, method));
      return;
    }
    if (!isPromiseLike(result)) {
      callback(null, result);
      return;
    }
    result.then(
      (response) => callback(null, response),
      (error: unknown) => callback(toStatus(error, method)),
    );
  };
}

export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/**
 * A server-streaming grpc-js handler around a Nest handler that returns an Observable or an
 * AsyncIterable (or a promise of one). AsyncIterables are pulled with backpressure (the next
 * value is read once the transport has room); a client cancel unsubscribes the Observable or
 * returns the iterator, so the handler's `finally` runs.
 */
export function serverStreamingCall(
  handler: NestHandler,
  toStatus: ErrorToStatus,
  method: string,
): handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const fail = (error: unknown) => {
      if (!call.cancelled && !call.writableEnded) call.emit('error', toStatus(error, method));
    };
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(handler(call.request, call.metadata, call));
    } catch (error) {
      fail(error);
      return;
    }
    pending.then((result) => {
      if (isObservable(result)) return pipeObservable(result, call, fail);
      if (isAsyncIterable(result)) return pipeIterable(result, call).catch(fail);
      fail(
        new TypeError(`${method}: a server-streaming handler must return an Observable or an AsyncIterable`),
      );
    }, fail);
  };
}

/** The response side of a server-streaming or bidirectional call. */
type ResponseStream = ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>;

/**
 * Sends an Observable's values. An Observable cannot be paused, so when the transport's buffer
 * is full the requests of a bidirectional call stop being read until it drains: a handler that
 * answers requests as they come then slows down to what the client reads.
 */
export function pipeObservable(
  source: import('rxjs').Observable<unknown>,
  call: ResponseStream,
  fail: (error: unknown) => void,
): void {
  let subscription: Subscription | undefined = undefined;
  const stop = () => subscription?.unsubscribe();
  call.once('cancelled', stop);
  subscription = source.subscribe({
    next: (value) => {
      if (!call.write(value)) holdRequests(call);
    },
    error: fail,
    complete: () => call.end(),
  });
  if (call.cancelled) stop();
}

/** Stops reading a bidirectional call's requests until its responses drain. */
function holdRequests(call: ResponseStream): void {
  if (!('readableFlowing' in call) || call.readableFlowing !== true) return;
  call.pause();
  call.once('drain', () => call.resume());
}

/** Sends an AsyncIterable's values, each read once the transport has room for the last one. */
export async function pipeIterable(source: AsyncIterable<unknown>, call: ResponseStream): Promise<void> {
  const iterator = source[Symbol.asyncIterator]();
  const cancelled = new Promise<'cancelled'>((resolve) => call.once('cancelled', () => resolve('cancelled')));
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), cancelled]);
      if (next === 'cancelled' || next.done) break;
      if (!call.write(next.value)) await Promise.race([once(call, 'drain'), cancelled]);
    }
    if (!call.cancelled) call.end();
  } finally {
    // Not awaited: a generator parked in an await finishes its return after that await;
    // handlers that wait on events take callSignal(call) to wake up on cancel.
    iterator.return?.()?.catch(() => undefined);
  }
}
