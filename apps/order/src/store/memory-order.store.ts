import type { Order } from '@nestmesh/contracts/order/v1';

import { DEFAULT_MAX_IDEMPOTENCY_KEYS, IdempotencyKeys } from '../idempotency/idempotency-keys.js';
import type { IdempotentPlacement, OrderStore, PlacedOrder } from './order.store.js';

/**
 * Orders in this process's memory, the embedded default: lost when the process ends and not
 * seen by other instances. Idempotency keys are IdempotencyKeys (at most `maxKeys`, the oldest
 * forgotten first).
 */
export class MemoryOrderStore implements OrderStore {
  private readonly orders = new Map<string, Order>();
  private readonly idempotencyKeys: IdempotencyKeys;

  constructor(maxKeys = DEFAULT_MAX_IDEMPOTENCY_KEYS) {
    this.idempotencyKeys = new IdempotencyKeys(maxKeys);
  }

  save(order: Order): Promise<void> {
    this.orders.set(order.orderId, order);
    return Promise.resolve();
  }

  get(orderId: string): Promise<Order | undefined> {
    return Promise.resolve(this.orders.get(orderId));
  }

  async placeOnce(key: string, { fingerprint, place }: IdempotentPlacement): Promise<PlacedOrder> {
    const outcome = this.idempotencyKeys.run(key, fingerprint, place);
    return { order: await outcome.order, replayed: outcome.replayed };
  }
}
