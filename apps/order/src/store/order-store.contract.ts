import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { OrderStatus, type Order } from '@nestmesh/contracts/order/v1';
import { waitFor } from '@nestmesh/testing';

import { IdempotencyKeyReusedError } from '../order.errors.js';
import type { IdempotentPlacement, OrderStore } from './order.store.js';

/** Two views of one store: two instances sharing it (Redis), or the same store twice (memory). */
export interface SharedStores {
  first: OrderStore;
  second: OrderStore;
  close(): Promise<void>;
}

/** An order with the extremes a store must keep exactly: int64 beyond 2^53, a ms Timestamp. */
export function sampleOrder(orderId = randomUUID()): Order {
  return {
    orderId,
    status: OrderStatus.ORDER_STATUS_PLACED,
    createdAt: new Date(Date.UTC(2026, 10, 30, 15, 4, 5, 678)),
    items: [
      { sku: 'A-1', quantity: 9_223_372_036_854_775_807n, reservationId: 'r-1', reservedBy: 'inventory-1' },
      { sku: 'B-2', quantity: 1n, reservationId: 'r-2', reservedBy: 'inventory-2' },
    ],
  };
}

/**
 * A placement that counts its runs and finishes when the test says so, saving its order in
 * `store` first as OrdersService does (a replay reads the order from the store).
 */
export function controlledPlacement(fingerprint: string, store?: OrderStore) {
  let runs = 0;
  let finish!: (order: Order | Error) => void;
  const outcome = new Promise<Order>((resolve, reject) => {
    finish = (order) => (order instanceof Error ? reject(order) : resolve(order));
  });
  const placement: IdempotentPlacement = {
    fingerprint,
    placementTimeoutMs: 10_000,
    place: async () => {
      runs++;
      const order = await outcome;
      await store?.save(order);
      return order;
    },
  };
  return { placement, finish, runs: () => runs };
}

const placed = (order: Order, fingerprint = 'f1'): IdempotentPlacement => ({
  fingerprint,
  placementTimeoutMs: 10_000,
  place: () => Promise.resolve(order),
});

/** What every OrderStore must do; run once per adapter. */
export function orderStoreContract(adapter: string, setup: () => Promise<SharedStores>): void {
  describe(`order store contract: ${adapter}`, { timeout: 60_000 }, () => {
    let stores: SharedStores;
    before(async () => (stores = await setup()));
    after(() => stores?.close());
    const key = () => `key-${randomUUID()}`;

    it('an order saved by one is read by the other exactly (int64 and Timestamp included); an unknown id is undefined', async () => {
      const order = sampleOrder();
      await stores.first.save(order);
      assert.deepEqual(await stores.second.get(order.orderId), order);
      assert.equal(await stores.second.get(randomUUID()), undefined);
    });

    it('one placement per key, also while it runs: the second request waits and replays it', async () => {
      const k = key();
      const control = controlledPlacement('f1', stores.first);
      const first = stores.first.placeOnce(k, control.placement);
      const second = stores.second.placeOnce(k, control.placement);
      const order = sampleOrder();
      // Gives the second request time to find the key being placed (what it then does is
      // asserted below whatever the timing: on a slow machine it may only find it placed).
      await waitFor(() => control.runs() === 1, { description: 'the placement to start' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      control.finish(order);
      const answers = await Promise.all([first, second]);
      assert.equal(control.runs(), 1);
      assert.deepEqual(answers.map((answer) => answer.order.orderId).sort(), [order.orderId, order.orderId]);
      assert.deepEqual(answers.map((answer) => answer.replayed).sort(), [false, true]);
    });

    it('the same key with another fingerprint is refused, while placing and once placed', async () => {
      const k = key();
      const control = controlledPlacement('f1', stores.first);
      const running = stores.first.placeOnce(k, control.placement);
      await waitFor(() => control.runs() === 1, { description: 'the placement to start' });
      await assert.rejects(
        stores.second.placeOnce(k, placed(sampleOrder(), 'f2')),
        IdempotencyKeyReusedError,
      );
      control.finish(sampleOrder());
      await running;
      await assert.rejects(
        stores.second.placeOnce(k, placed(sampleOrder(), 'f2')),
        IdempotencyKeyReusedError,
      );
    });

    it('a failed placement forgets its key: its error is rethrown and a retry (even with other items) places', async () => {
      const k = key();
      const failure = new Error('no such SKU');
      await assert.rejects(
        stores.first.placeOnce(k, { ...placed(sampleOrder()), place: () => Promise.reject(failure) }),
        (error) => error === failure,
      );
      const order = sampleOrder();
      const retry = await stores.second.placeOnce(k, placed(order, 'f2'));
      assert.deepEqual(retry, { order, replayed: false });
    });
  });
}
