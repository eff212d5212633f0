import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FactoryProvider, Provider } from '@nestjs/common';

import { OrderModule } from '../order.module.js';
import { MemoryOrderStore } from './memory-order.store.js';
import { orderStoreProviders } from './order-store.providers.js';
import { OrderStore } from './order.store.js';
import { RedisOrderStore } from './redis-order.store.js';
import type { Redis } from 'ioredis';

/**
 * The store the providers would inject (a Redis store is closed by the caller). Its startup
 * check finds nothing listening on port 1 and passes: only refused credentials stop startup.
 */
async function storeOf(providers: readonly Provider[] | undefined): Promise<OrderStore> {
  const provider = providers?.find(
    (candidate): candidate is FactoryProvider =>
      typeof candidate === 'object' && candidate.provide === OrderStore,
  );
  return (provider!.useFactory as () => Promise<OrderStore>)();
}

async function closed(storing: Promise<OrderStore>): Promise<OrderStore> {
  const store = await storing;
  if (store instanceof RedisOrderStore) await store.close();
  return store;
}

describe('the order store OrderModule chooses', { timeout: 10_000 }, () => {
  it('memory without a URL; Redis for redisUrl, else REDIS_URL', async (t) => {
    const saved = process.env.REDIS_URL;
    t.after(() => (saved === undefined ? delete process.env.REDIS_URL : (process.env.REDIS_URL = saved)));
    delete process.env.REDIS_URL;
    assert.ok((await closed(storeOf(OrderModule.forRoot().providers))) instanceof MemoryOrderStore);
    process.env.REDIS_URL = 'redis://127.0.0.1:1';
    assert.ok((await closed(storeOf(OrderModule.forRoot().providers))) instanceof RedisOrderStore);
    assert.ok(
      (await closed(storeOf(OrderModule.forRoot({ redisUrl: '' }).providers))) instanceof MemoryOrderStore,
      'an empty redisUrl is none',
    );
  });

  it('takes ?timeout=<ms> as the Redis command deadline', async () => {
    const store = await storeOf(orderStoreProviders({ redisUrl: 'redis://127.0.0.1:1/2?timeout=750' }));
    assert.ok(store instanceof RedisOrderStore);
    assert.equal((store.redis as Redis).options.commandTimeout, 750);
    assert.equal((store.redis as Redis).options.db, 2);
    await store.close();
  });

  it('refuses at startup what it cannot honour, naming it', () => {
    const refusals: [Parameters<typeof orderStoreProviders>[0], RegExp][] = [
      [
        { redisUrl: 'redis://a:6379,redis://b:6379,redis://c:6379' },
        /order: REDIS_URL names 3 Redis servers/,
      ],
      [{ redisUrl: 'http://127.0.0.1:6379' }, /is not a redis:\/\/ or rediss:\/\/ URL/],
      [{ redisUrl: 'redis://127.0.0.1:6379/orders' }, /the path is a database number/],
      [{ redisUrl: 'redis://127.0.0.1:6379?timout=5' }, /unknown option "timout"/],
      [{ redisUrl: 'redis://127.0.0.1:6379?timeout=0' }, /timeout=0 must be a positive integer/],
      [
        { redisUrl: 'redis://127.0.0.1:6379', inventoryTimeoutMs: 0 },
        /inventoryTimeoutMs must be a positive/,
      ],
      [{ idempotencyRetentionMs: 0 }, /idempotencyRetentionMs must be a positive whole number/],
    ];
    for (const [options, message] of refusals) {
      assert.throws(() => orderStoreProviders(options), message, JSON.stringify(options));
    }
  });
});
