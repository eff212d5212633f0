import { isObservable, type Observable, type Subscription } from 'rxjs';
import type {
  handleBidiStreamingCall,
  handleClientStreamingCall,
  ServerDuplexStream,
  ServerReadableStream,
} from '@grpc/grpc-js';

import { requestsOf } from '../streaming/request-stream.js';
import { isAsyncIterable, pipeIterable, pipeObservable, type ErrorToStatus } from './call-adapters.js';
import type { NestHandler } from './grpc-handler.explorer.js';
import { fromAsyncIterable } from './stream-interceptors.js';

type StreamCall = ServerReadableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>;

/** Calls the handler with the requests as an Observable (Nest's `@GrpcStreamMethod` convention). */
function invoke(handler: NestHandler, call: StreamCall): Promise<unknown> {
  try {
    return Promise.resolve(handler(requestsOf(call), call.metadata, call));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A client-streaming grpc-js handler around a Nest handler that takes the requests as an
 * Observable and returns the response as a value, a promise, or an Observable or AsyncIterable
 * whose last value is the response (one that ends empty is a server error). A throw, a
 * rejection or an error answers the mapped status. A client cancel or an expired deadline
 * unsubscribes what the handler returned and, unless they have ended, errors the requests
 * (request-stream.ts).
 */
export function clientStreamingCall(
  handler: NestHandler,
  toStatus: ErrorToStatus,
  method: string,
): handleClientStreamingCall<unknown, unknown> {
  return (call, callback) => {
    let answered = false;
    // Once only; after a cancel grpc-js has already sent the status, and mapping (and
    // logging) what the handler then does would be noise.
    const settle = (send: () => void) => {
      if (answered || call.cancelled) return;
      answered = true;
      send();
    };
    const answer: Answer = {
      respond: (response) => settle(() => callback(null, response)),
      fail: (error) => settle(() => callback(toStatus(error, method))),
    };
    invoke(handler, call).then((result) => {
      if (isObservable(result)) return answerWithLast(result, call, method, answer);
      if (isAsyncIterable(result)) return answerWithLast(fromAsyncIterable(result), call, method, answer);
      answer.respond(result);
    }, answer.fail);
  };
}

interface Answer {
  respond: (response: unknown) => void;
  fail: (error: unknown) => void;
}

function answerWithLast(source: Observable<unknown>, call: StreamCall, method: string, answer: Answer): void {
  let last: { value: unknown } | undefined;
  let subscription: Subscription | undefined = undefined;
  const stop = () => subscription?.unsubscribe();
  call.once('cancelled', stop);
  subscription = source.subscribe({
    next: (value) => (last = { value }),
    error: answer.fail,
    complete: () =>
      last
        ? answer.respond(last.value)
        : answer.fail(new Error(`grpc: ${method}: the handler's stream ended without a response`)),
  });
  if (call.cancelled) stop();
}

/**
 * A bidirectional grpc-js handler around a Nest handler that takes the requests as an
 * Observable and returns the responses as an Observable or an AsyncIterable (or a promise of
 * one). Writes respect the transport's buffer: an AsyncIterable is read once there is room,
 * an Observable's requests stop being read until there is (call-adapters.ts). A client
 * cancel or an expired deadline unsubscribes the responses (or returns the iterator) and,
 * unless they have ended, errors the requests.
 */
export function bidiStreamingCall(
  handler: NestHandler,
  toStatus: ErrorToStatus,
  method: string,
): handleBidiStreamingCall<unknown, unknown> {
  return (call) => {
    const fail = (error: unknown) => {
      if (!call.cancelled && !call.writableEnded) call.emit('error', toStatus(error, method));
    };
    invoke(handler, call).then((result) => {
      if (isObservable(result)) return pipeObservable(result, call, fail);
      if (isAsyncIterable(result)) return pipeIterable(result, call).catch(fail);
      fail(new TypeError(`${method}: a bidirectional handler must return an Observable or an AsyncIterable`));
    }, fail);
  };
}
