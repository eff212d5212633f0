import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import { LockHeldError, LockLostError, LockUnavailableError } from '../coordination.errors.js';
import { RedisLockBackend } from './adapters/redis/redis.lock-backend.js';
import { LockService } from './lock.service.js';
import { fencedSet } from './test-fixtures/fenced-store.js';

const worker = fileURLToPath(new URL('./test-fixtures/lock-worker.fixture.js', import.meta.url));

function run(args: string[]) {
  const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = once(child, 'exit') as Promise<[code: number | null, signal: NodeJS.Signals | null]>;
  return { child, output: () => output, exited };
}

/** Retries tryAcquire until it succeeds (Redis back) or `timeoutMs` passes. */
function untilAcquired(service: LockService, key: string, timeoutMs: number) {
  return waitFor(() => service.tryAcquire(key).catch(() => undefined), {
    timeoutMs,
    description: 'locks to work again',
  });
}

describe('redis locks (real redis-server)', () => {
  let redis: RedisServer;
  let backend: RedisLockBackend;
  let locks: LockService;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    backend = new RedisLockBackend({ url: redis.url });
    locks = new LockService(backend);
    client = new Redis(redis.url);
    client.on('error', () => undefined); // Redis is restarted on purpose below
  });
  after(async () => {
    client.disconnect();
    await backend.close();
    await redis.stop();
  });

  // The workers end without process.exit: a timer or connection left behind would hang them.
  it('mutual exclusion: 20 workers in 2 processes, 500 increments each, add up to exactly 10 000 with no overlapping holders', async () => {
    await client.del('counter');
    const processes = [run(['count', redis.url, '10', '500']), run(['count', redis.url, '10', '500'])];
    const codes = await Promise.all(processes.map((p) => p.exited));
    assert.deepEqual(
      codes.map(([code]) => code),
      [0, 0],
    );
    assert.equal(await client.get('counter'), '10000');
    // In fencing-token order (the order the lock granted), each holder's section ends before the
    // next one starts. A lease lost to a stall longer than the TTL would void that promise, so
    // the test first checks that none was (the 10 s TTL leaves a wide margin on a busy machine).
    const history = processes
      .flatMap((p) => JSON.parse(p.output()) as [string, string, string, boolean][])
      .map(([start, end, token, held]) => ({
        start: BigInt(start),
        end: BigInt(end),
        token: BigInt(token),
        held,
      }))
      .sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    assert.equal(history.length, 10_000);
    assert.deepEqual(
      history.filter((h) => !h.held).map((h) => h.token),
      [],
      'no lease was lost',
    );
    for (let i = 1; i < history.length; i++) {
      assert.ok(history[i - 1].token < history[i].token, `fencing token ${history[i].token} granted twice`);
      assert.ok(
        history[i - 1].end <= history[i].start,
        `holders of tokens ${history[i - 1].token} and ${history[i].token} overlap`,
      );
    }
  });

  it('tryAcquire on a held lock fails with LockHeldError; acquire waits for its release', async () => {
    const first = await locks.tryAcquire('wait-test', { ttlMs: 1000 });
    await assert.rejects(locks.tryAcquire('wait-test'), LockHeldError);
    setTimeout(() => void first.release(), 100);
    const second = await locks.acquire('wait-test', { waitMs: 2000 });
    assert.ok(second.token > first.token);
    await second.release();
  });

  it('a job longer than the TTL keeps its lock through renewal', async () => {
    const done = await locks.using(
      'long-job',
      async (signal) => {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await assert.rejects(locks.tryAcquire('long-job'), LockHeldError, 'still held after 3 TTLs');
        return !signal.aborted;
      },
      { ttlMs: 300 },
    );
    assert.equal(done, true);
  });

  it('fn’s own error is not masked, and the lock is released after it', async () => {
    await assert.rejects(
      locks.using('failing', () => Promise.reject(new Error('business failure'))),
      /business failure/,
    );
    await (await locks.tryAcquire('failing')).release();
  });

  it('a holder paused past its TTL: another process takes over; once resumed its signal has fired and its fenced write is rejected', async () => {
    await client.del('fenced');
    const holder = run(['hold', redis.url, 'paused', '400']);
    // A child Node process starting: seconds on a quiet machine, far more at load 20.
    await waitFor(() => /held (\d+)/.test(holder.output()), {
      timeoutMs: 120_000,
      description: 'the holder to take the lock',
    });
    const oldToken = BigInt(/held (\d+)/.exec(holder.output())![1]);
    holder.child.kill('SIGSTOP');
    const taken = await locks.acquire('paused', { waitMs: 3000, ttlMs: 2000 });
    assert.ok(taken.token > oldToken);
    assert.equal(await fencedSet(client, 'fenced', taken.token, 'new holder'), true);
    holder.child.kill('SIGCONT');
    await holder.exited;
    const report = JSON.parse(/after (.*)/.exec(holder.output())![1]) as {
      aborted: boolean;
      reason: string;
      accepted: boolean;
    };
    assert.equal(report.aborted, true, 'the old holder was told');
    assert.match(report.reason, /LockLostError/);
    assert.equal(report.accepted, false, 'its stale write was refused');
    assert.equal(await client.hget('fenced', 'value'), 'new holder');
    await taken.release();
  });

  it('scripts are reloaded after SCRIPT FLUSH (NOSCRIPT)', async () => {
    await client.script('FLUSH');
    const lock = await locks.tryAcquire('after-flush');
    await lock.release();
  });

  it(
    'a hung Redis (SIGSTOP): commands fail with LockUnavailableError at their deadline, and work again once it answers',
    { timeout: 10_000 },
    async () => {
      const hurried = new RedisLockBackend({ url: redis.url, commandTimeoutMs: 200 });
      const hurriedLocks = new LockService(hurried);
      try {
        // Released before the pause, or the release itself would time out against a hung Redis.
        await (await hurriedLocks.tryAcquire('hung')).release();
        redis.pause();
        const pending = [hurriedLocks.tryAcquire('hung-1'), hurriedLocks.tryAcquire('hung-2')];
        for (const attempt of pending) {
          await assert.rejects(attempt, (error: unknown) => {
            assert.ok(error instanceof LockUnavailableError);
            return true;
          });
        }
        redis.resume();
        await (await untilAcquired(hurriedLocks, 'hung', 5000)).release();
      } finally {
        redis.resume();
        await hurried.close();
      }
    },
  );

  it('Redis restarted under load: callers get LockUnavailableError, then locks work again and holders are told', async () => {
    const held = await locks.tryAcquire('restart', { ttlMs: 600 });
    await redis.kill();
    await assert.rejects(locks.tryAcquire('other'), LockUnavailableError);
    await waitFor(() => held.signal.aborted, { timeoutMs: 2000, description: 'the holder to be told' });
    assert.ok(held.signal.reason instanceof LockLostError);
    await redis.start();
    await (await untilAcquired(locks, 'restart', 10_000)).release();
  });
});
