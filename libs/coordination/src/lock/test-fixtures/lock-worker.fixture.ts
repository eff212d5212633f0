// A worker process for the lock tests: `node lock-worker.fixture.js <mode> <redis url> [args]`.
//   count <workers> <increments>: increments a plain counter under the lock; prints its history
//   hold <key> <ttlMs>: takes the lock, prints `held <token>`, then on stdin-less resume (after
//     SIGSTOP/SIGCONT) reports whether its signal fired and whether its fenced write went through
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';

import { RedisLockBackend } from '../adapters/redis/redis.lock-backend.js';
import { LockService } from '../lock.service.js';
import { fencedSet } from './fenced-store.js';

const [mode, url, ...args] = process.argv.slice(2);
const backend = new RedisLockBackend({ url });
const locks = new LockService(backend);
const redis = new Redis(url);
// process.hrtime reads CLOCK_MONOTONIC, one clock for every process on the machine, so the
// histories of two workers compare; performance.timeOrigin is wall-clock based and may skew.
const now = () => process.hrtime.bigint().toString();

if (mode === 'count') {
  const [workers, increments] = args.map(Number);
  // [start, end, fencing token, lease still held at the end] per critical section.
  const history: [string, string, string, boolean][] = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = 0; i < increments; i++) {
        await locks.using(
          'counter',
          async (signal, lock) => {
            const start = now();
            const value = Number((await redis.get('counter')) ?? 0);
            await redis.set('counter', String(value + 1));
            history.push([start, now(), lock.token.toString(), !signal.aborted]);
          },
          { ttlMs: 10_000, waitMs: 120_000 },
        );
      }
    }),
  );
  console.log(JSON.stringify(history));
} else if (mode === 'hold') {
  const [key, ttl] = args;
  const lock = await locks.acquire(key, { ttlMs: Number(ttl) });
  await fencedSet(redis, 'fenced', lock.token, `first write by ${lock.token}`);
  console.log(`held ${lock.token}`);
  // Wait here; the test SIGSTOPs this process past the TTL and then resumes it.
  await sleep(Number(ttl) * 4);
  const accepted = await fencedSet(redis, 'fenced', lock.token, `late write by ${lock.token}`);
  console.log(
    `after ${JSON.stringify({ aborted: lock.signal.aborted, reason: String(lock.signal.reason), accepted })}`,
  );
  await lock.release();
}
redis.disconnect();
await backend.close();
