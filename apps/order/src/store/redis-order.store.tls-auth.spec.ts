import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FactoryProvider } from '@nestjs/common';
import { BackendAuthError, BackendTlsFileError } from '@nestmesh/common';
import { createTestCa, startRedis, type RedisServer, type TestCa } from '@nestmesh/testing';

import { OrderStoreUnavailableError } from '../order.errors.js';
import { controlledPlacement, sampleOrder } from './order-store.contract.js';
import { orderStoreProviders } from './order-store.providers.js';
import { OrderStore } from './order.store.js';
import { RedisOrderStore } from './redis-order.store.js';
import type { Redis } from 'ioredis';

const PASSWORD = 'order p@ss';

/** The store OrderModule would inject for `redisUrl`, startup check included. */
async function storeFor(redisUrl: string): Promise<RedisOrderStore> {
  const provider = orderStoreProviders({ redisUrl }).find(
    (candidate): candidate is FactoryProvider =>
      typeof candidate === 'object' && 'provide' in candidate && candidate.provide === OrderStore,
  );
  return (await (provider!.useFactory as () => Promise<OrderStore>)()) as RedisOrderStore;
}

describe('RedisOrderStore on rediss:// with requirepass', { timeout: 60_000 }, () => {
  let ca: TestCa;
  let redis: RedisServer;
  before(async () => {
    ca = await createTestCa();
    redis = await startRedis({ password: PASSWORD, tls: { ca } });
  });
  after(async () => {
    await redis?.stop();
    await ca?.close();
  });

  it('saves, reads and places once over TLS, logged in with the password', async (t) => {
    assert.match(redis.url, /^rediss:\/\/:.+@127\.0\.0\.1:\d+\?ca=/);
    const store = await storeFor(`${redis.url}&timeout=2000`);
    t.after(() => store.close());
    assert.ok((store.redis as Redis).options.tls, 'TLS is on');
    const order = sampleOrder();
    await store.save(order);
    assert.deepEqual(await store.get(order.orderId), order);
    const control = controlledPlacement('f1');
    const placing = store.placeOnce(randomUUID(), { ...control.placement, placementTimeoutMs: 5_000 });
    control.finish(sampleOrder());
    assert.equal((await placing).replayed, false);
  });

  it('a wrong password stops startup with BackendAuthError naming redis, password redacted', async () => {
    const wrong = redis.url.replace(encodeURIComponent(PASSWORD), 'wr0ng');
    await assert.rejects(storeFor(wrong), (error: unknown) => {
      assert.ok(error instanceof BackendAuthError, String(error));
      assert.match(
        error.message,
        /^redis rediss:\/\/:\*\*\*@127\.0\.0\.1:\d+\S*: authentication failed \(WRONGPASS/,
      );
      assert.ok(!error.message.includes('wr0ng') && !error.message.includes(encodeURIComponent(PASSWORD)));
      return true;
    });
  });

  it('a store made directly: commands fail with BackendAuthError, not OrderStoreUnavailableError, and it stops reconnecting', async (t) => {
    const store = new RedisOrderStore(redis.url.replace(encodeURIComponent(PASSWORD), 'wr0ng'));
    t.after(() => store.close());
    await assert.rejects(store.credentialsChecked(), BackendAuthError);
    await assert.rejects(store.get('o-1'), (error: unknown) => {
      assert.ok(error instanceof BackendAuthError && !(error instanceof OrderStoreUnavailableError));
      return true;
    });
    assert.equal(store.redis.status, 'end', 'a refused password is not retried');
  });

  it('an unreadable ?ca= file is refused when the providers are built, naming the parameter', () => {
    const missing = join(ca.dir, 'gone.crt');
    assert.throws(
      () => orderStoreProviders({ redisUrl: redis.url.replace(/\?ca=[^&]*/, `?ca=${missing}`) }),
      (error: unknown) => error instanceof BackendTlsFileError && error.message.includes(`?ca=${missing}`),
    );
  });
});
