import { InterceptorsConsumer } from '@nestjs/core/internal';
import { isObservable, Observable } from 'rxjs';
import { once } from 'node:events';

type Intercept = InterceptorsConsumer['intercept'];

/** The part of a grpc-js server stream this needs to pace reads. */
interface WritableCall {
  readonly writableNeedDrain?: boolean;
  once(event: 'drain', listener: () => void): unknown;
}

/**
 * Nest's interceptor chain, except that a handler result that is an AsyncIterable (which
 * NestMesh accepts for server streams, Nest's transport does not) reaches the interceptors as
 * an Observable of its items. Nest would hand them the iterable as one value, and the stream
 * would send that one object as a message. Without interceptors nothing changes: the call
 * adapter pulls the iterable itself.
 */
export class StreamAwareInterceptorsConsumer extends InterceptorsConsumer {
  override intercept(...[interceptors, args, instance, callback, next, type]: Parameters<Intercept>) {
    if (!interceptors || interceptors.length === 0) {
      return super.intercept(interceptors, args, instance, callback, next, type);
    }
    const itemsOf = async () => {
      const result: unknown = await next();
      return isAsyncIterable(result) && !isObservable(result)
        ? fromAsyncIterable(result, args[2] as WritableCall | undefined)
        : result;
    };
    return super.intercept(interceptors, args, instance, callback, itemsOf, type);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === 'function';
}

/**
 * The items of `source` as an Observable, read one at a time: the next item is read once the
 * previous one was delivered and, when `call` is a stream whose buffer is full, once it has
 * drained. Unsubscribing (a client cancel) returns the iterator, so the producer's `finally`
 * runs.
 */
export function fromAsyncIterable<T>(source: AsyncIterable<T>, call?: WritableCall): Observable<T> {
  return new Observable<T>((subscriber) => {
    const iterator = source[Symbol.asyncIterator]();
    const stop = new AbortController();
    const pull = async () => {
      for (;;) {
        const next = await iterator.next();
        if (stop.signal.aborted) return;
        if (next.done) return subscriber.complete();
        subscriber.next(next.value);
        if (call?.writableNeedDrain) await once(call as never, 'drain', { signal: stop.signal });
      }
    };
    pull().catch((error: unknown) => {
      if (!stop.signal.aborted) subscriber.error(error);
    });
    return () => {
      stop.abort();
      // Not awaited: a generator parked in an await finishes its return after that await.
      iterator.return?.()?.catch(() => undefined);
    };
  });
}
