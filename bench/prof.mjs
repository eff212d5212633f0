import { LockService } from '@nestmesh/coordination';
import { RedisLockBackend } from '@nestmesh/coordination/redis';
import { startRedis } from '@nestmesh/testing';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
const redis = await startRedis();
const backend = new RedisLockBackend({ url: redis.url });
const locks = new LockService(backend);
const raw = new Redis(redis.url);
raw.defineCommand('rel', {
  numberOfKeys: 1,
  lua: `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
});
raw.defineCommand('acq', {
  numberOfKeys: 2,
  lua: `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end return false`,
});
const N = 20000;
async function mesh() {
  for (let i = 0; i < N; i++) await (await locks.tryAcquire('k')).release();
}
async function rawf() {
  for (let i = 0; i < N; i++) {
    const o = randomUUID();
    await raw.acq('r', 'r:f', o, 5000);
    await raw.rel('r', o);
  }
}
for (const f of [mesh, rawf]) await f();
for (let r = 0; r < 3; r++)
  for (const f of [mesh, rawf]) {
    const t = performance.now();
    await f();
    console.log(f.name, Math.round(N / ((performance.now() - t) / 1000)));
  }
raw.disconnect();
await backend.close();
await redis.stop();
