import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { LockService } from '@nestmesh/coordination';
import { RedisLockBackend } from '@nestmesh/coordination/redis';
import { startRedis } from '@nestmesh/testing';

import { StaleEpochError, UnknownSkuError } from '../inventory.errors.js';
import { MemoryStockStore } from './memory-stock.store.js';
import { RedisStockStore } from './redis-stock.store.js';
import type { StockStore } from './stock.store.js';

const policy = { below: 10n, to: 100n };

function restockSuite(name: string, setup: () => Promise<{ store: StockStore; close(): Promise<void> }>) {
  describe(`restock with leadership epochs: ${name}`, () => {
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
  });
}

restockSuite('memory', async () => ({
  store: new MemoryStockStore({ LOW: 8n, HIGH: 50n }),
  close: async () => {},
}));

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
