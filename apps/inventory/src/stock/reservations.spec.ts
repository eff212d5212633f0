import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ReservationStatus } from '@nestmesh/contracts/inventory/v1';
import { LockService, MemoryLockBackend } from '@nestmesh/coordination';
import { ManualClock, startRedis, type RedisServer } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

import { ReservationConflictError, ReservationReleasedError, StaleEpochError } from '../inventory.errors.js';
import { MemoryStockStore } from './memory-stock.store.js';
import { RedisStockStore } from './redis-stock.store.js';
import type { ReservationPolicy, StockStore } from './stock.store.js';

const TTL_MS = 60_000;

// The reservation contract, run on both stores: the memory one and RedisStockStore on a real
// redis-server, emptied for each test (locks in memory: each test's store is alone on it).
describe('reservations: idempotent per (order, SKU), expiring unless confirmed', { timeout: 60_000 }, () => {
  let redis: RedisServer | undefined;
  const closers: (() => Promise<void>)[] = [];
  after(async () => {
    for (const close of closers) await close();
    await redis?.stop();
  });

  async function storeOn(backend: 'memory' | 'redis', seed: Record<string, bigint>, clock: ManualClock) {
    const policy: ReservationPolicy = { ttlMs: TTL_MS, clock };
    if (backend === 'memory') return new MemoryStockStore(seed, policy);
    redis ??= await startRedis();
    const store = new RedisStockStore(redis.url, new LockService(new MemoryLockBackend()), policy);
    closers.push(() => store.close());
    await store.redis.flushdb(); // the expiry index and the epoch are server-wide
    await store.seed(seed);
    return store;
  }

  /** A SKU of its own, so that the Redis tests share one server without sharing stock. */
  const sku = () => `R-${randomUUID().slice(0, 8)}`;

  for (const backend of ['memory', 'redis'] as const) {
    it(`${backend}: the same (order, SKU) twice answers one reservation and moves stock once`, async () => {
      const item = sku();
      const store: StockStore = await storeOn(backend, { [item]: 10n }, new ManualClock());
      const first = await store.reserve({ orderId: 'o-1', sku: item, quantity: 3n }, 'a');
      const again = await store.reserve({ orderId: 'o-1', sku: item, quantity: 3n }, 'b');
      assert.equal(again.reservation.reservationId, first.reservation.reservationId);
      assert.equal(again.reservation.quantity, 3n);
      assert.deepEqual([(await store.level(item))?.available, (await store.level(item))?.reserved], [7n, 3n]);
      const otherOrder = await store.reserve({ orderId: 'o-2', sku: item, quantity: 3n }, 'a');
      assert.notEqual(otherOrder.reservation.reservationId, first.reservation.reservationId);
      assert.equal((await store.level(item))?.available, 4n, 'another order reserves on its own');
    });

    it(`${backend}: two calls for one (order, SKU) at once make one reservation`, async () => {
      const item = sku();
      const store = await storeOn(backend, { [item]: 10n }, new ManualClock());
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => store.reserve({ orderId: 'o-same', sku: item, quantity: 2n }, 'a')),
      );
      assert.equal(new Set(answers.map(({ reservation }) => reservation.reservationId)).size, 1);
      const level = await store.level(item);
      assert.deepEqual([level?.available, level?.reserved], [8n, 2n]);
    });

    it(`${backend}: another quantity for a reserved pair is ALREADY_EXISTS, a released pair FAILED_PRECONDITION`, async () => {
      const item = sku();
      const store = await storeOn(backend, { [item]: 10n }, new ManualClock());
      await store.reserve({ orderId: 'o-1', sku: item, quantity: 3n }, 'a');
      const conflict = await store
        .reserve({ orderId: 'o-1', sku: item, quantity: 4n }, 'a')
        .catch((e: unknown) => e);
      assert.ok(conflict instanceof ReservationConflictError);
      assert.equal(conflict.code, 'ALREADY_EXISTS');
      await store.release({ orderId: 'o-1' });
      const released = await store
        .reserve({ orderId: 'o-1', sku: item, quantity: 3n }, 'a')
        .catch((e: unknown) => e);
      assert.ok(released instanceof ReservationReleasedError);
      assert.equal(released.code, 'FAILED_PRECONDITION');
      assert.equal((await store.level(item))?.available, 10n, 'a refused repeat moves nothing');
    });

    it(`${backend}: an unconfirmed reservation is released once expired, a confirmed one never`, async () => {
      const item = sku();
      const clock = new ManualClock();
      const store = await storeOn(backend, { [item]: 10n }, clock);
      const abandoned = await store.reserve({ orderId: 'abandoned', sku: item, quantity: 3n }, 'a');
      assert.equal(abandoned.reservation.expiresAt?.getTime(), clock.now() + TTL_MS);
      await store.reserve({ orderId: 'placed', sku: item, quantity: 2n }, 'a');
      const confirmed = await store.confirm('placed');
      assert.deepEqual(
        confirmed.map((r) => [r.status, r.expiresAt]),
        [[ReservationStatus.RESERVATION_STATUS_CONFIRMED, undefined]],
      );
      assert.equal((await store.confirm('placed')).length, 1, 'confirming again is a no-op');

      await clock.advance(TTL_MS - 1);
      assert.deepEqual(await store.releaseExpired(clock.now(), 1n), [], 'nothing has expired yet');
      await clock.advance(1);
      const released = await store.releaseExpired(clock.now(), 1n);
      assert.deepEqual(
        released.map((r) => [r.reservationId, r.status]),
        [[abandoned.reservation.reservationId, ReservationStatus.RESERVATION_STATUS_RELEASED]],
      );
      const level = await store.level(item);
      assert.deepEqual([level?.available, level?.reserved], [8n, 2n], 'the abandoned units are back');
      await clock.advance(10 * TTL_MS);
      assert.deepEqual(await store.releaseExpired(clock.now(), 1n), [], 'released once; confirmed never');
      assert.equal((await store.confirm('abandoned')).length, 0, 'a released reservation is not confirmed');
    });

    it(`${backend}: the release of expired reservations is fenced by the leadership epoch`, async () => {
      const item = sku();
      const clock = new ManualClock();
      const store = await storeOn(backend, { [item]: 10n }, clock);
      await store.level(item, { epoch: 5n }); // a newer leader has read
      await store.reserve({ orderId: 'stale', sku: item, quantity: 1n }, 'a');
      await clock.advance(TTL_MS);
      await assert.rejects(store.releaseExpired(clock.now(), 4n), StaleEpochError);
      assert.equal((await store.level(item))?.available, 9n, "the replaced leader's release did not land");
      assert.equal((await store.releaseExpired(clock.now(), 5n)).length, 1);
    });
  }
});
