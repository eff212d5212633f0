import { Observable } from 'rxjs';

/**
 * An Observable over an async producer that honours cancellation: unsubscribing (which the
 * gRPC server does when the client cancels) aborts the signal the producer was given, so a
 * generator waiting for the next event wakes up and its `finally` runs. This is how a
 * server-streaming handler that ts-proto types as `Observable<T>` is best written.
 */
export function observe<T>(produce: (signal: AbortSignal) => AsyncIterable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const controller = new AbortController();
    void (async () => {
      try {
        for await (const value of produce(controller.signal)) {
          if (subscriber.closed) return;
          subscriber.next(value);
        }
        subscriber.complete();
      } catch (error) {
        if (!controller.signal.aborted) subscriber.error(error);
      }
    })();
    return () => controller.abort(new Error('grpc: stream unsubscribed'));
  });
}
