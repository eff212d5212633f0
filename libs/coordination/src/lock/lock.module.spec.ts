import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startContext, startRedis, type RedisServer } from '@nestmesh/testing';

import { InvalidLockOptionsError } from '../coordination.errors.js';
import { MemoryLockBackend } from './adapters/memory/memory.lock-backend.js';
import { RedisLockBackend } from './adapters/redis/redis.lock-backend.js';
import { RedlockBackend } from './adapters/redis/redlock.lock-backend.js';
import { LockBackend } from './lock-backend.js';
import { LockModule } from './lock.module.js';
import { LockService } from './lock.service.js';

describe('LockModule', () => {
  let redis: RedisServer;
  before(async () => (redis = await startRedis()));
  after(() => redis.stop());

  it('without a URL (and no REDIS_URL) locks are in memory', async () => {
    const app = await startContext(LockModule.forRoot({ url: [] }));
    assert.ok(app.get(LockBackend) instanceof MemoryLockBackend);
    await (await app.get(LockService).tryAcquire('m')).release();
    await app.close();
  });

  it('one redis:// URL: a single Redis; three: Redlock quorum', async () => {
    const single = await startContext(LockModule.forRoot({ url: redis.url }));
    assert.ok(single.get(LockBackend) instanceof RedisLockBackend);
    const lock = await single.get(LockService).tryAcquire('module-test', { ttlMs: 1000 });
    assert.equal(typeof lock.token, 'bigint');
    await lock.release();
    await single.close();
    const quorum = await startContext(
      LockModule.forRoot({ url: [redis.url, redis.url, redis.url].join(',') }),
    );
    assert.ok(quorum.get(LockBackend) instanceof RedlockBackend);
    await quorum.close();
  });

  it('bad options fail at startup, naming the option', async () => {
    const namesOption = (option: string) => (error: unknown) =>
      error instanceof InvalidLockOptionsError && error.option === option;
    await assert.rejects(startContext(LockModule.forRoot({ url: 'http://nope' })), namesOption('url'));
    await assert.rejects(
      startContext(LockModule.forRoot({ url: [redis.url, redis.url] })),
      namesOption('url'),
    );
    await assert.rejects(startContext(LockModule.forRoot({ ttlMs: 1 })), namesOption('ttlMs'));
  });
});
