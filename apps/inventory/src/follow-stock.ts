import type { FollowStockRequest, StockEvent, StockLevel } from '@nestmesh/contracts/inventory/v1';
import type { Observable, Subscription } from 'rxjs';

import { FollowLimitError, InvalidFollowError, quote } from './inventory.errors.js';
import type { StockStore } from './stock/stock.store.js';

/**
 * Most SKUs one FollowStock stream may follow at a time (RESOURCE_EXHAUSTED past it): it bounds
 * what one caller can make the server hold per stream.
 */
export const MAX_FOLLOWED_SKUS = 1_000;

type Input =
  | { kind: 'ready' }
  | { kind: 'request'; request: FollowStockRequest }
  | { kind: 'change'; level: StockLevel }
  | { kind: 'end' }
  | { kind: 'failed'; error: unknown };

/**
 * A queue with one reader, so the generator waits on one promise at a time whichever source
 * fills it (racing the two sources' promises instead would pile reactions onto the idle one).
 */
class Inbox {
  private readonly inputs: Input[] = [];
  private waiting: ((input: Input) => void) | undefined;

  push(input: Input): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(input);
    else this.inputs.push(input);
  }

  take(): Promise<Input> {
    const input = this.inputs.shift();
    return input ? Promise.resolve(input) : new Promise((resolve) => (this.waiting = resolve));
  }
}

/**
 * The events of one FollowStock stream. One change feed of every SKU serves the whole stream,
 * filtered by what it follows, so following and unfollowing change a set, not a subscription.
 * The feed is live before the first request is read, so no change falls between a snapshot
 * and the feed; a change that a snapshot already includes (its version is not newer) is
 * dropped, so each SKU's versions only increase. At most one change waits here at a time: a
 * slow reader gets the store's latest level per SKU, not a growing backlog.
 *
 * Ends when the caller half-closes. A cancel or a deadline aborts `signal` (the server
 * unsubscribes) or errors the requests; either way the feed is released (`finally`).
 */
export async function* followStock(
  store: StockStore,
  requests: Observable<FollowStockRequest>,
  signal: AbortSignal,
): AsyncGenerator<StockEvent> {
  const inbox = new Inbox();
  const feed = new AbortController();
  const onAbort = () => inbox.push({ kind: 'failed', error: signal.reason });
  signal.addEventListener('abort', onAbort, { once: true });
  const changes = store
    .changes([], {
      signal: AbortSignal.any([signal, feed.signal]),
      onReady: () => inbox.push({ kind: 'ready' }),
    })
    [Symbol.asyncIterator]();
  const pull = () => {
    changes.next().then(
      (next) =>
        inbox.push(
          next.done
            ? { kind: 'failed', error: new Error('inventory: the stock change feed ended') }
            : { kind: 'change', level: next.value },
        ),
      (error: unknown) => inbox.push({ kind: 'failed', error }),
    );
  };
  let subscription: Subscription | undefined;
  try {
    pull();
    const first = await inbox.take();
    if (first.kind === 'failed') throw first.error;
    subscription = requests.subscribe({
      next: (request) => inbox.push({ kind: 'request', request }),
      complete: () => inbox.push({ kind: 'end' }),
      error: (error: unknown) => inbox.push({ kind: 'failed', error }),
    });
    const followed = new Followed();
    for (;;) {
      const input = await inbox.take();
      if (input.kind === 'failed') throw input.error;
      if (input.kind === 'end') return;
      if (input.kind === 'request') yield* followed.apply(store, input.request);
      if (input.kind === 'change') {
        pull();
        if (followed.isNew(input.level)) yield event({ $case: 'changed', changed: input.level });
      }
    }
  } finally {
    subscription?.unsubscribe();
    signal.removeEventListener('abort', onAbort);
    feed.abort();
  }
}

/** The SKUs a stream follows, each with the version last sent (0: unknown so far). */
class Followed {
  private readonly versions = new Map<string, bigint>();

  /** Unfollows, then follows (a snapshot or `unknownSku` per newly followed SKU). */
  async *apply(store: StockStore, { follow, unfollow }: FollowStockRequest): AsyncGenerator<StockEvent> {
    const added = new Set(follow.filter((sku) => !this.versions.has(sku)));
    this.validate(follow, unfollow, added);
    for (const sku of unfollow) this.versions.delete(sku);
    for (const sku of added) {
      const level = await store.level(sku);
      this.versions.set(sku, level?.version ?? 0n);
      yield event(level ? { $case: 'snapshot', snapshot: level } : { $case: 'unknownSku', unknownSku: sku });
    }
  }

  /** Whether `level` is of a followed SKU and newer than what was sent; records it if so. */
  isNew(level: StockLevel): boolean {
    const sent = this.versions.get(level.sku);
    if (sent === undefined || level.version <= sent) return false;
    this.versions.set(level.sku, level.version);
    return true;
  }

  /** Refuses the whole request before any of it applies. */
  private validate(follow: string[], unfollow: string[], added: ReadonlySet<string>): void {
    if (follow.includes('') || unfollow.includes('')) throw new InvalidFollowError('sku is required');
    const unfollowed = new Set(unfollow);
    const both = follow.find((sku) => unfollowed.has(sku));
    if (both !== undefined) {
      throw new InvalidFollowError(`SKU ${quote(both)} is both followed and unfollowed in one request`);
    }
    const dropped = [...unfollowed].filter((sku) => this.versions.has(sku)).length;
    if (this.versions.size - dropped + added.size > MAX_FOLLOWED_SKUS) {
      throw new FollowLimitError(MAX_FOLLOWED_SKUS);
    }
  }
}

function event(event: NonNullable<StockEvent['event']>): StockEvent {
  return { event, emittedAt: new Date() };
}
