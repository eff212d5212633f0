import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReservationStatus } from '@nestmesh/contracts/inventory/v1';
import { LockService, MemoryLockBackend } from '@nestmesh/coordination';
import { RedisStockStore, StaleWriteError } from '@nestmesh/inventory';
import { startRedis, type RedisServer } from '@nestmesh/testing';

import { postJson, startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

describe('inventory on Redis (real redis-server), two instances', () => {
  let redis: RedisServer;
  let cluster: EmbeddedCluster;
  before(async () => {
    redis = await startRedis();
    cluster = await startEmbeddedCluster({ redisUrl: redis.url, seed: { 'HOT-1': 50n, 'A-1': 1000n } });
  });
  after(async () => {
    await cluster.close();
    await redis.stop();
  });

  it('never oversells: 200 concurrent orders against a stock of 50 across both instances reserve exactly 50', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, () =>
        postJson(`${cluster.url}/orders`, { items: [{ sku: 'HOT-1', quantity: 1 }] }),
      ),
    );
    const statuses = results.map((result) => result.status);
    assert.equal(statuses.filter((status) => status === 201).length, 50);
    assert.equal(
      statuses.filter((status) => status === 409).length,
      150,
      `others: ${[...new Set(statuses)].join(',')}`,
    );
    const servedBy = new Set(
      results
        .filter((r) => r.status === 201)
        .map((r) => (r.body.items as { reservedBy: string }[])[0]!.reservedBy),
    );
    assert.equal(servedBy.size, 2, 'both instances reserved');
    const stock = (await (await fetch(`${cluster.url}/stock/HOT-1`)).json()) as {
      available: number;
      reserved: number;
    };
    assert.deepEqual([stock.available, stock.reserved], [0, 50]);
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
