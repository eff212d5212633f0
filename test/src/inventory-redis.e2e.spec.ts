import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReservationStatus } from '@nestmesh/contracts/inventory/v1';
import { LockService, MemoryLockBackend } from '@nestmesh/coordination';
import { RedisStockStore, StaleWriteError } from '@nestmesh/inventory';
import { startRedis, waitFor, type RedisServer } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';
import { assertSuccessOrTypedError } from './support/http-outcomes.js';
import { orderInWaves, orderOne } from './support/order-waves.js';
import { assertOrderHoldsItsReservation, reservationsInRedis, stockInRedis } from './support/redis-stock.js';

const STOCK = 50;
const WAVE = 200;

describe('inventory on Redis (real redis-server), two instances', () => {
  let redis: RedisServer;
  let cluster: EmbeddedCluster;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
    cluster = await startEmbeddedCluster({
      redisUrl: redis.url,
      seed: { 'HOT-1': BigInt(STOCK), 'A-1': 1000n },
    });
  });
  after(async () => {
    try {
      await cluster?.close();
    } finally {
      client?.disconnect();
      await redis?.stop();
    }
  });

  it('never oversells: waves of concurrent orders through both instances reserve at most the stock of 50, and every unit is accounted for', async (t) => {
    const order = () => orderOne(cluster.url, 'HOT-1', t.signal);
    // Waves of concurrent orders until the stock is gone. Under load some time out (504) while
    // queued on the SKU's lock, so one wave may leave units behind, and a wave of timeouts may
    // trip the breaker toward inventory; progress is an acknowledged order every ORDER_STALL_MS.
    const waves = await orderInWaves(order, {
      size: WAVE,
      more: async () => (await stockInRedis(client, 'HOT-1')).available > 0n,
    });
    const { results } = waves;
    t.diagnostic(`waves: ${waves.tallies.join(' ')}`);
    // Sold out, the next order is refused as such (once the orders still queued on the lock
    // from the last wave are through).
    const soldOut = await waitFor(
      async () => {
        const result = await order();
        results.push(result);
        return [503, 504].includes(result.status) ? undefined : result;
      },
      { timeoutMs: 60_000, signal: t.signal, description: 'an answer to an order after the sell-out' },
    );
    assert.equal(soldOut.status, 409, `sold out: ${JSON.stringify(soldOut.body)}`);
    assertSuccessOrTypedError(results, 201, [409, 503, 504]);

    const acknowledged = results.filter((result) => result.status === 201);
    t.diagnostic(`${results.length} orders: ${acknowledged.length} acknowledged`);
    assert.ok(acknowledged.length <= STOCK, `${acknowledged.length} orders acknowledged for ${STOCK} units`);
    const stock = await stockInRedis(client, 'HOT-1');
    assert.equal(stock.available + stock.reserved, BigInt(STOCK), 'no unit appeared or vanished');
    const reservations = await reservationsInRedis(client, 'HOT-1');
    assert.equal(
      reservations.reduce((sum, reservation) => sum + reservation.quantity, 0n),
      stock.reserved,
      'every reserved unit has its reservation (an order that timed out may hold one too)',
    );
    for (const { body } of acknowledged) await assertOrderHoldsItsReservation(client, String(body.id));
    assert.equal(
      new Set(reservations.map((reservation) => reservation.servedBy)).size,
      2,
      'both instances reserved',
    );
  });

  it('a write fenced with a token older than the last accepted one is refused', async () => {
    class Probe extends RedisStockStore {
      writeWith(...args: Parameters<RedisStockStore['write']>) {
        return this.write(...args);
      }
    }
    // Tokens from a separate in-memory lock service: only their order matters to Redis.
    const tokens = new LockService(new MemoryLockBackend());
    const store = new Probe(redis.url, tokens);
    try {
      const older = await tokens.tryAcquire('x');
      await older.release();
      const newer = await tokens.tryAcquire('x');
      const level = (await store.level('A-1'))!;
      const reservation = (id: string) => ({
        reservationId: id,
        orderId: 'fence-test',
        sku: 'A-1',
        quantity: 1n,
        status: ReservationStatus.RESERVATION_STATUS_RESERVED,
        reservedAt: new Date(),
        servedBy: 'test',
        expiresAt: undefined,
      });
      await store.writeWith(newer, level, -1n, reservation('r-new'));
      await assert.rejects(store.writeWith(older, level, -1n, reservation('r-old')), StaleWriteError);
      assert.equal(
        await store.redis.exists('nestmesh:inventory:reservation:r-old'),
        0,
        'the refused write left no reservation',
      );
      await newer.release();
      assert.equal(
        (await store.level('A-1'))!.available,
        level.available - 1n,
        'only the newer write landed',
      );
    } finally {
      await store.close();
    }
  });
});
