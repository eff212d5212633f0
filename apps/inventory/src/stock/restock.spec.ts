import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LockService } from '@nestmesh/coordination';
import { RedisLockBackend } from '@nestmesh/coordination/redis';
import { startRedis } from '@nestmesh/testing';

import { InvalidStockError, StaleEpochError, UnknownSkuError } from '../inventory.errors.js';
import { MemoryStockStore } from './memory-stock.store.js';
import { RedisStockStore } from './redis-stock.store.js';
import type { StockStore } from './stock.store.js';

const policy = { below: 10n, to: 100n };

function restockSuite(name: string, setup: () => Promise<{ store: StockStore; close(): Promise<void> }>) {
  describe(`restock with leadership epochs: ${name}`, { timeout: 30_000 }, () => {
    let subject: { store: StockStore; close(): Promise<void> } | undefined;
    after(() => subject?.close());

    it('tops up a SKU below the threshold, leaves others, and refuses an older epoch', async () => {
      subject = await setup();
      const { store } = subject;
      await store.reserve({ orderId: 'o1', sku: 'LOW', quantity: 3n }, 'test');
      const topped = await store.restock('LOW', policy, 5n);
      assert.equal(topped?.available, 100n);
      assert.equal(topped?.reserved, 3n, 'reservations are untouched');
      assert.equal((await store.level('LOW'))?.available, 100n);
      assert.equal(await store.restock('HIGH', policy, 5n), undefined, 'above the threshold: nothing to do');
      assert.equal(await store.restock('LOW', policy, 6n), undefined, 'a newer epoch is accepted');
      await store.reserve({ orderId: 'o2', sku: 'LOW', quantity: 95n }, 'test');
      await assert.rejects(store.restock('LOW', policy, 5n), (error: unknown) => {
        assert.ok(error instanceof StaleEpochError);
        assert.equal(error.code, 'ABORTED');
        return true;
      });
      assert.equal((await store.level('LOW'))?.available, 5n, 'the stale restock wrote nothing');
      await assert.rejects(store.restock('NOPE', policy, 7n), UnknownSkuError);
    });

    // Leader A (epoch 8) reads, stalls; leader B (epoch 9) reads. Had B's read not been
    // recorded, A's restock would land (no newer epoch had written yet) and B's, made from a
    // read that A's write has since changed, would land on top: A's update lost.
    it("a leader's read is fenced like its restock: an older leader's restock after a newer leader's read is refused, and so is its next read", async () => {
      const { store } = subject!;
      const a = await store.level('LOW', { epoch: 8n });
      const b = await store.level('LOW', { epoch: 9n });
      assert.deepEqual(a?.available, b?.available, 'both read the same level');
      await assert.rejects(store.restock('LOW', policy, 8n), (error: unknown) => {
        assert.ok(error instanceof StaleEpochError);
        assert.equal(error.epoch, 8n);
        return true;
      });
      assert.equal((await store.level('LOW'))?.available, b?.available, 'the stale restock wrote nothing');
      await store.restock('LOW', policy, 9n);
      await assert.rejects(store.level('LOW', { epoch: 8n }), (error: unknown) => {
        assert.ok(error instanceof StaleEpochError);
        assert.equal(error.operation, 'read');
        return true;
      });
      assert.equal(await store.level('NOPE', { epoch: 10n }), undefined, 'an unknown SKU reads as undefined');
      assert.notEqual(await store.level('LOW', { epoch: 9n }), undefined, 'which recorded nothing');
    });

    it('add (ImportStock) tops up a known SKU, creates an unknown one, and refuses bad input', async () => {
      const { store } = subject!;
      const before = (await store.level('HIGH'))!;
      const added = await store.add('HIGH', 25n);
      assert.equal(added.available, before.available + 25n);
      assert.equal(added.reserved, before.reserved);
      assert.equal(added.version, before.version + 1n);
      assert.deepEqual(await store.level('HIGH'), added);
      assert.equal((await store.add('FRESH', 4n)).available, 4n);
      assert.equal((await store.add('FRESH', 1n)).available, 5n);
      assert.ok((await store.skus()).includes('FRESH'), 'a created SKU is listed');
      for (const [sku, quantity] of [
        ['HIGH', 0n],
        ['HIGH', -1n],
        ['', 3n],
      ] as const) {
        await assert.rejects(store.add(sku, quantity), (error: unknown) => {
          assert.ok(error instanceof InvalidStockError);
          assert.equal(error.code, 'INVALID_ARGUMENT');
          return true;
        });
      }
      assert.equal((await store.level('HIGH'))?.available, added.available, 'a refused add wrote nothing');
    });
  });
}

restockSuite('memory', () =>
  Promise.resolve({
    store: new MemoryStockStore({ LOW: 8n, HIGH: 50n }),
    close: () => Promise.resolve(),
  }),
);

restockSuite('redis (a real redis-server)', async () => {
  const redis = await startRedis();
  const backend = new RedisLockBackend({ url: redis.url });
  const store = new RedisStockStore(redis.url, new LockService(backend));
  await store.seed({ LOW: 8n, HIGH: 50n });
  return {
    store,
    close: async () => {
      await store.close();
      await backend.close();
      await redis.stop();
    },
  };
});
