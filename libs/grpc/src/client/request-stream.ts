import { status as Status } from '@grpc/grpc-js';
import type { ClientWritableStream, StatusObject } from '@grpc/grpc-js';
import type { Subscribable } from 'rxjs';

import { RequestStreamError, RpcError } from '../grpc.errors.js';

/** What a client-streaming method accepts: an (async) iterable or an Observable of requests. */
export type RequestSource<Request> = AsyncIterable<Request> | Iterable<Request> | Subscribable<Request>;

/**
 * The sending half of a client-streaming or bidirectional call, with back-pressure: `write`
 * resolves at once while grpc-js' buffer has room and otherwise when it drains, so a writer
 * that awaits each write never holds more than that buffer (a highWaterMark of 16 messages).
 */
export class RequestWriter<Request> {
  private ended = false;
  private status: StatusObject | undefined;
  private readonly closed: Promise<void>;

  constructor(
    private readonly call: ClientWritableStream<Request>,
    private readonly method: string,
  ) {
    this.closed = new Promise((resolve) =>
      call.once('status', (status: StatusObject) => {
        this.status = status;
        resolve();
      }),
    );
  }

  /** True once the call has a status: further requests would go nowhere. */
  get finished(): boolean {
    return this.status !== undefined;
  }

  /**
   * Sends one request; waits while grpc-js' buffer is full. Rejects with the call's RpcError
   * when it fails meanwhile, with RequestStreamError after `end()` or after the call ended.
   */
  async write(message: Request): Promise<void> {
    if (this.ended) throw new RequestStreamError(this.method, 'written after end()');
    this.throwIfFinished();
    if (this.call.write(message)) return;
    await Promise.race([new Promise((resolve) => this.call.once('drain', resolve)), this.closed]);
    this.throwIfFinished();
  }

  /** Half-closes the call: the server's read loop ends; responses keep coming. Idempotent. */
  end(): void {
    if (this.ended || this.finished) return;
    this.ended = true;
    this.call.end();
  }

  private throwIfFinished(): void {
    const status = this.status;
    if (!status) return;
    if (status.code === Status.OK) throw new RequestStreamError(this.method, 'written after the call ended');
    throw new RpcError(status.code, status.details, { metadata: status.metadata, method: this.method });
  }
}

/**
 * Sends every request of `source` through `writer`, one at a time (awaiting each write is the
 * back-pressure), then half-closes. Stops reading the source (its `return()` runs) as soon as
 * the call has ended. Rejects with the source's own error when it throws.
 */
export async function writeAll<Request>(
  source: AsyncIterable<Request> | Iterable<Request>,
  writer: RequestWriter<Request>,
): Promise<void> {
  for await (const message of source) {
    if (writer.finished) return;
    await writer.write(message);
  }
  writer.end();
}

/** `source` as something `for await` takes; throws RequestStreamError for anything else. */
export function iterableOf<Request>(
  source: RequestSource<Request>,
  method: string,
): AsyncIterable<Request> | Iterable<Request> {
  const isObject = (typeof source === 'object' && source !== null) || typeof source === 'function';
  if (isObject && (Symbol.asyncIterator in source || Symbol.iterator in source)) return source;
  if (isObject && typeof source.subscribe === 'function') {
    return fromObservable(source);
  }
  throw new RequestStreamError(method, 'requests must be an AsyncIterable, an Iterable or an Observable');
}

/**
 * An Observable as an AsyncIterable. An Observable pushes, so values it emits faster than the
 * call can send wait in memory here (unbounded); a producer that must respect back-pressure
 * should be an async generator instead. Unsubscribes when the iteration stops early.
 */
async function* fromObservable<T>(observable: Subscribable<T>): AsyncGenerator<T> {
  const queue: T[] = [];
  let complete = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const subscription = observable.subscribe({
    next: (value) => {
      queue.push(value);
      wake?.();
    },
    error: (error: unknown) => {
      failure = { error };
      wake?.();
    },
    complete: () => {
      complete = true;
      wake?.();
    },
  });
  try {
    for (;;) {
      if (queue.length > 0) {
        yield queue.shift() as T;
        continue;
      }
      if (failure) throw failure.error;
      if (complete) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    subscription.unsubscribe();
  }
}
