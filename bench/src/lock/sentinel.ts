// `node scripts/on-supported-node.mjs bench/dist/lock/sentinel.js` (after `npm run build`):
// what Sentinel and replicaAcks cost an uncontended LockService.tryAcquire + release, in one run:
//   redis://                 a single redis-server (the baseline)
//   redis+sentinel, acks 0   the primary of a Sentinel deployment (1 replica, 3 Sentinels)
//   redis+sentinel, acks 1   the same, each grant WAITed on by one replica (the default)
// The three take turns in batches of 100 cycles, so the shared machine's slow moments land on
// all alike. Env: BENCH_OPS (3000 per row).
import { LockService, lockBackends } from '@nestmesh/coordination';
import { startRedis, startRedisSentinel } from '@nestmesh/testing';

import { percentile } from '../rpc/stats.js';

const ops = Number(process.env.BENCH_OPS ?? 3000);
const TTL_MS = 5000;

const single = await startRedis();
const sentinel = await startRedisSentinel();
const rows: Record<string, string> = {
  'redis:// (single)': single.url,
  'redis+sentinel://, replicaAcks=0': `${sentinel.url}?replicaAcks=0`,
  'redis+sentinel://, replicaAcks=1 (default)': sentinel.url,
};
const backends = await Promise.all(
  Object.entries(rows).map(async ([name, url]) => [name, await lockBackends.create(url, {})] as const),
);
const services = Object.fromEntries(backends.map(([name, backend]) => [name, new LockService(backend)]));

const spent: Record<string, { ms: number; latencies: number[] }> = {};
const order = Object.keys(services);
try {
  for (let batch = 0; batch < ops / 100; batch++) {
    order.push(order.shift()!);
    for (const name of order) {
      const entry = (spent[name] ??= { ms: 0, latencies: [] });
      const started = performance.now();
      for (let i = 0; i < 100; i++) {
        const begin = performance.now();
        const lock = await services[name].tryAcquire('bench', { ttlMs: TTL_MS });
        await lock.release();
        entry.latencies.push(performance.now() - begin);
      }
      entry.ms += performance.now() - started;
    }
  }
  const baseline = spent['redis:// (single)'];
  const baselineRate = baseline.latencies.length / baseline.ms;
  for (const [name, { ms, latencies }] of Object.entries(spent)) {
    const rate = latencies.length / ms;
    console.log(
      `${name.padEnd(44)} ${(rate * 1000).toFixed(0).padStart(6)} ops/s  ×${(rate / baselineRate).toFixed(2)}` +
        `  p50 ${percentile(latencies, 50).toFixed(3)} ms  p99 ${percentile(latencies, 99).toFixed(3)} ms`,
    );
  }
} finally {
  await Promise.all(backends.map(async ([, backend]) => backend.close?.()));
  await Promise.all([single.stop(), sentinel.stop()]);
}
