import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BackendAuthError } from '@nestmesh/common';
import type { StockLevel } from '@nestmesh/contracts/inventory/v1';
import { createLockBackend, LockService } from '@nestmesh/coordination';
import { createTestCa, startRedis, type RedisServer, type TestCa } from '@nestmesh/testing';

import { StockUnavailableError } from '../inventory.errors.js';
import { RedisStockStore } from './redis-stock.store.js';
import type { Redis } from 'ioredis';

const PASSWORD = 'stock-s3cret';

// The stock store and its locks on one Redis that speaks TLS only and knows one ACL user.
describe('RedisStockStore on rediss:// with an ACL user', { timeout: 60_000 }, () => {
  let ca: TestCa;
  let redis: RedisServer;
  before(async () => {
    ca = await createTestCa();
    redis = await startRedis({ user: 'inventory', password: PASSWORD, tls: { ca } });
  });
  after(async () => {
    await redis?.stop();
    await ca?.close();
  });

  it('seeds, reserves under a Redis lock and feeds changes, all over TLS as that user', async (t) => {
    const backend = await createLockBackend({ url: redis.url });
    const store = new RedisStockStore(redis.url, new LockService(backend));
    const feed = new AbortController();
    t.after(async () => {
      feed.abort();
      await store.close();
      await backend.close?.();
    });
    await store.credentialsChecked();
    await store.seed({ 'TLS-1': 5n });
    const changes: StockLevel[] = [];
    let markLive!: () => void;
    const live = new Promise<void>((resolve) => (markLive = resolve));
    const following = (async () => {
      for await (const level of store.changes(['TLS-1'], { signal: feed.signal, onReady: markLive })) {
        changes.push(level);
        feed.abort();
      }
    })();
    await live;
    const { stock } = await store.reserve({ orderId: 'o-1', sku: 'TLS-1', quantity: 2n }, 'test');
    assert.equal(stock.available, 3n);
    await following;
    assert.equal(changes[0]?.available, 3n, 'the change feed (a second connection) hears the reservation');
    assert.equal(String(await store.redis.call('ACL', 'WHOAMI')), 'inventory');
  });

  it('a wrong password: the startup check and every read fail with BackendAuthError naming redis, password redacted', async (t) => {
    const wrong = redis.url.replace(PASSWORD, 'wr0ng-pass');
    const store = new RedisStockStore(wrong, new LockService(await createLockBackend({ url: 'memory://' })));
    t.after(() => store.close());
    const refused = (error: unknown) => {
      assert.ok(
        error instanceof BackendAuthError && !(error instanceof StockUnavailableError),
        String(error),
      );
      assert.match(
        error.message,
        /^redis rediss:\/\/inventory:\*\*\*@127\.0\.0\.1:\d+\S*: authentication failed/,
      );
      assert.ok(!error.message.includes('wr0ng-pass') && !error.message.includes(PASSWORD));
      return true;
    };
    await assert.rejects(store.credentialsChecked(), refused);
    await assert.rejects(store.level('TLS-1'), refused);
    assert.equal(store.redis.status, 'end', 'a refused password is not retried');
  });

  it('a Redlock list in REDIS_URL (locks only): the stock lives on its first master, with its credentials', async (t) => {
    const list = `${redis.url},rediss://127.0.0.2:1,rediss://127.0.0.3:1`;
    const store = new RedisStockStore(list, new LockService(await createLockBackend({ url: 'memory://' })));
    t.after(() => store.close());
    await store.credentialsChecked();
    assert.equal((store.redis as Redis).options.port, redis.port);
    assert.equal((store.redis as Redis).options.username, 'inventory');
    await store.seed({ 'LIST-1': 1n });
    assert.ok((await store.skus()).includes('LIST-1'));
  });
});
