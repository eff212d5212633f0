import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { startContext, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import { InvalidLockOptionsError } from '../coordination.errors.js';
import { runAlone } from '../test-fixtures/run-alone.js';
import { MemoryLockBackend } from './adapters/memory/memory.lock-backend.js';
import { RedisLockBackend } from './adapters/redis/redis.lock-backend.js';
import { RedlockBackend } from './adapters/redis/redlock.lock-backend.js';
import { LockBackend } from './lock-backend.js';
import { LockModule } from './lock.module.js';
import type { LockModuleOptions } from './lock.module-definition.js';
import { LockService } from './lock.service.js';

/**
 * Starts an app that the test closes when it ends, passed or failed. (This file once never
 * exited under load: a failed call left its app open, and its Redis client reconnected
 * forever once the server was stopped.)
 */
async function app(t: TestContext, options: LockModuleOptions): Promise<INestApplicationContext> {
  const started = await startContext(LockModule.forRoot(options));
  t.after(() => started.close());
  return started;
}

describe('LockModule', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  before(async () => (redis = await startRedis()));
  after(() => redis?.stop());

  it('without a URL (and no REDIS_URL) locks are in memory', async (t) => {
    const memory = await app(t, { url: [] });
    assert.ok(memory.get(LockBackend) instanceof MemoryLockBackend);
    await (await memory.get(LockService).tryAcquire('m')).release();
  });

  it('one redis:// URL: a single Redis; three: Redlock quorum', async (t) => {
    const single = await app(t, { url: redis.url });
    const backend = single.get<RedisLockBackend>(LockBackend);
    assert.ok(backend instanceof RedisLockBackend);
    // The first command waits for the connection only up to its deadline, which a loaded
    // machine may not make: wait for the connection, not for a lucky schedule.
    await waitFor(() => backend.client.status === 'ready', {
      timeoutMs: 30_000,
      description: 'the Redis connection',
    });
    const lock = await single.get(LockService).tryAcquire('module-test', { ttlMs: 1000 });
    assert.equal(typeof lock.token, 'bigint');
    await lock.release();
    const quorum = await app(t, { url: [redis.url, redis.url, redis.url].join(',') });
    assert.ok(quorum.get(LockBackend) instanceof RedlockBackend);
  });

  it('bad options fail at startup, naming the option', async () => {
    const namesOption = (option: string) => (error: unknown) =>
      error instanceof InvalidLockOptionsError && error.option === option;
    const cases: [LockModuleOptions, string][] = [
      [{ url: 'http://nope' }, 'url'],
      [{ url: [redis.url, redis.url] }, 'url'],
      [{ ttlMs: 1 }, 'ttlMs'],
      [{ url: redis.url, commandTimeoutMs: 0 }, 'commandTimeoutMs'],
      [{ url: redis.url, backend: new MemoryLockBackend() }, 'url'],
    ];
    for (const [options, option] of cases) {
      await assert.rejects(startContext(LockModule.forRoot(options)), namesOption(option), option);
    }
  });

  it('an app refused for a bad option leaves no Redis connection open: its process exits by itself', async () => {
    // Before the fix the Redis client was made before ttlMs was checked, and reconnected
    // forever once its server had gone: the process never ended.
    const run = await runAlone(
      `import { startContext } from '@nestmesh/testing';
      import { LockModule } from '@nestmesh/coordination';
      const error = await startContext(LockModule.forRoot({ url: process.env.TEST_REDIS_URL, ttlMs: 1 })).catch((e) => e);
      console.log(error.code, error.option);`,
      { deadlineMs: 30_000, env: { TEST_REDIS_URL: redis.url } },
    );
    assert.ok(run.exitedAlone, run.stderr);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'INVALID_OPTIONS ttlMs');
  });
});
