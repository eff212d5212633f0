import type { Order } from '@nestmesh/contracts/order/v1';

import { IdempotencyKeyReusedError } from '../order.errors.js';

/** How many keys are remembered; the oldest is forgotten first. */
export const DEFAULT_MAX_IDEMPOTENCY_KEYS = 10_000;

interface Entry {
  fingerprint: string;
  order: Promise<Order>;
}

export interface IdempotentOutcome {
  order: Promise<Order>;
  /** True when the order was placed (or is being placed) by an earlier request with the key. */
  replayed: boolean;
}

/**
 * Idempotency keys → the order placed under each, with the fingerprint of the request that
 * placed it. The same key with the same request gets the same order (also while the first
 * request is still running: both wait for one placement); the same key with another request
 * is refused. A placement that fails forgets its key, so the client may retry with it.
 */
export class IdempotencyKeys {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxKeys = DEFAULT_MAX_IDEMPOTENCY_KEYS) {}

  /** Runs `place` once per key; throws IdempotencyKeyReusedError for a different fingerprint. */
  run(key: string, fingerprint: string, place: () => Promise<Order>): IdempotentOutcome {
    const known = this.entries.get(key);
    if (known) {
      if (known.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
      return { order: known.order, replayed: true };
    }
    const entry: Entry = { fingerprint, order: place() };
    this.entries.set(key, entry);
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
    void entry.order.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return { order: entry.order, replayed: false };
  }
}
