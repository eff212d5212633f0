// `npm run bench:lock`: uncontended acquire+release and contended handoffs against a local
// redis-server started here on a free port (Debian `redis-server`), in one run:
//   raw ioredis   SET NX PX + the compare-and-delete script: the two-round-trip floor
//   NestMesh      LockService.tryAcquire + release (acquire script with fencing token)
//   redlock       the `redlock` npm package (5.0.0-beta.2) on the same single Redis
//   raw fenced    the two scripts NestMesh sends (SET NX PX + INCR, release): the floor for a
//                 lock that issues fencing tokens
//   ZooKeeper     LockService.tryAcquire + release on zk:// (a standalone ZooKeeper started here,
//                 Debian `zookeeper`): create the queue node, list the queue and read its czxid
//                 (one round trip, pipelined), delete: three requests, two round trips waited on
//   Redis Cluster LockService.tryAcquire + release on redis+cluster:// (3 primaries + 3
//                 replicas started here), and with ?replicaAcks=1 (the acquire script, then WAIT 1
//                 on the same connection: each grant acknowledged by a replica first)
// The client is pinned to CPU 0, redis-server and ZooKeeper to CPU 1. Rounds alternate them; medians. Env: BENCH_ROUNDS (5), BENCH_OPS (3000 per round).
import { LockHeldError, LockService, lockBackends } from '@nestmesh/coordination';
import { RedisLockBackend } from '@nestmesh/coordination/redis';
import { ZookeeperLockBackend } from '@nestmesh/coordination/zookeeper';
import { startRedis, startRedisCluster, startZookeeper } from '@nestmesh/testing';
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import Redlock from 'redlock'; // typed by ../redlock.d.ts

import { median, percentile } from '../rpc/stats.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const ops = Number(process.env.BENCH_OPS ?? 3000);
const TTL_MS = 5000;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const FENCED_ACQUIRE = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end return false`;

type Cycle = (key: string) => Promise<boolean>; // true when the lock was taken (and released)

const redis = await startRedis();
const zookeeper = await startZookeeper();
const cluster = await startRedisCluster();
// Client on CPU 0, the servers on CPU 1 (2-core machine): the runs vary less than unpinned.
try {
  execFileSync('taskset', ['-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
  execFileSync('taskset', ['-p', '-c', '1', String(redis.pid)], { stdio: 'ignore' });
  // Every thread of the JVM (-a), not only its main one.
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(zookeeper.pid)], { stdio: 'ignore' });
  for (const node of cluster.nodes)
    execFileSync('taskset', ['-p', '-c', '1', String(node.pid)], { stdio: 'ignore' });
} catch {
  console.warn('taskset (util-linux) not available: client and redis-server unpinned');
}
const raw = new Redis(redis.url);
// The raw rows send their scripts with EVALSHA directly (loaded once below): the fastest way
// ioredis offers, faster than its defineCommand wrapper.
const releaseSha = (await raw.script('LOAD', RELEASE)) as string;
const fencedAcquireSha = (await raw.script('LOAD', FENCED_ACQUIRE)) as string;
const backend = new RedisLockBackend({ url: redis.url });
const locks = new LockService(backend);
const redlockClient = new Redis(redis.url);
const redlock = new Redlock([redlockClient], { retryCount: 0 });
// A session timeout above the TTL: a lease may not outlive its session. A request deadline of
// 5 s, not the default 1 s: one answer of the JVM later than 1 s (seen once at load 9, the
// server sharing CPU 1 with redis-server) would end the run; the p99 shows such stalls instead.
const zookeeperBackend = new ZookeeperLockBackend({
  connectionString: zookeeper.connectionString,
  sessionTimeoutMs: 2 * TTL_MS,
  requestTimeoutMs: 5000,
});
const zookeeperLocks = new LockService(zookeeperBackend);
// A 5 s deadline, as for ZooKeeper: six redis-servers share CPU 1 here, and one answer later
// than 1 s would drop and remake the cluster client's connections (the watchdog) mid-run.
const clusterBackend = await lockBackends.create(`${cluster.url}?replicaAcks=0`, { commandTimeoutMs: 5000 });
const clusterLocks = new LockService(clusterBackend);
const replicatedBackend = await lockBackends.create(`${cluster.url}?replicaAcks=1`, {
  commandTimeoutMs: 5000,
});
const replicatedLocks = new LockService(replicatedBackend);

/** One acquire+release on `service`; false when the key is held. */
async function serviceCycle(service: LockService, key: string): Promise<boolean> {
  try {
    const lock = await service.tryAcquire(key, { ttlMs: TTL_MS });
    await lock.release();
    return true;
  } catch (error) {
    if (error instanceof LockHeldError) return false;
    throw error;
  }
}

const cycles: Record<string, Cycle> = {
  'raw ioredis (SET NX PX + release script)': async (key) => {
    const owner = randomUUID();
    if ((await raw.set(key, owner, 'PX', TTL_MS, 'NX')) !== 'OK') return false;
    await raw.evalsha(releaseSha, 1, key, owner);
    return true;
  },
  'raw ioredis, fenced (the scripts NestMesh sends)': async (key) => {
    const owner = randomUUID();
    if ((await raw.evalsha(fencedAcquireSha, 2, key, `${key}:fence`, owner, TTL_MS)) === null) return false;
    await raw.evalsha(releaseSha, 1, key, owner);
    return true;
  },
  'NestMesh LockService': async (key) => {
    try {
      const lock = await locks.tryAcquire(key, { ttlMs: TTL_MS });
      await lock.release();
      return true;
    } catch (error) {
      if (error instanceof LockHeldError) return false;
      throw error;
    }
  },
  'redlock 5.0.0-beta.2': async (key) => {
    try {
      const lock = await redlock.acquire([key], TTL_MS);
      await lock.release();
      return true;
    } catch {
      return false;
    }
  },
  'NestMesh LockService on ZooKeeper': async (key) => {
    try {
      const lock = await zookeeperLocks.tryAcquire(key, { ttlMs: TTL_MS });
      await lock.release();
      return true;
    } catch (error) {
      if (error instanceof LockHeldError) return false;
      throw error;
    }
  },
  'NestMesh LockService on Redis Cluster': (key) => serviceCycle(clusterLocks, key),
  'NestMesh LockService on Redis Cluster, ?replicaAcks=1': (key) => serviceCycle(replicatedLocks, key),
};

/**
 * Uncontended: one caller, 1 in flight. The locks take turns in batches of 100 cycles, so the
 * shared machine's slow moments land on all of them alike; each lock's time is summed.
 */
async function uncontended(): Promise<Record<string, { opsPerSecond: number; p50: number; p99: number }>> {
  const spent: Record<string, { ms: number; latencies: number[] }> = {};
  const order = Object.keys(cycles);
  for (let batch = 0; batch < ops / 100; batch++) {
    order.push(order.shift()!);
    for (const name of order) {
      const key = `bench:${name}`;
      const entry = (spent[name] ??= { ms: 0, latencies: [] });
      const started = performance.now();
      for (let i = 0; i < 100; i++) {
        const begin = performance.now();
        if (!(await cycles[name](key))) throw new Error(`${name}: an uncontended lock was refused`);
        entry.latencies.push(performance.now() - begin);
      }
      entry.ms += performance.now() - started;
    }
  }
  return Object.fromEntries(
    Object.entries(spent).map(([name, { ms, latencies }]) => [
      name,
      {
        opsPerSecond: (latencies.length / ms) * 1000,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      },
    ]),
  );
}

/** Contended: 16 workers loop on one key for `ms`; handoffs/s and the longest any worker waited. */
async function contended(
  cycle: Cycle,
  ms: number,
): Promise<{ handoffsPerSecond: number; maxWaitMs: number }> {
  const key = `bench:${randomUUID()}`;
  const stopAt = performance.now() + ms;
  let handoffs = 0;
  let maxWaitMs = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      let waitingSince = performance.now();
      while (performance.now() < stopAt) {
        if (await cycle(key)) {
          handoffs++;
          maxWaitMs = Math.max(maxWaitMs, performance.now() - waitingSince);
          waitingSince = performance.now();
        } else {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
    }),
  );
  return { handoffsPerSecond: handoffs / (ms / 1000), maxWaitMs };
}

const names = Object.keys(cycles);
const results: Record<
  string,
  { ops: number[]; p50: number[]; p99: number[]; handoffs: number[]; maxWait: number[] }
> = {};
for (const name of names) results[name] = { ops: [], p50: [], p99: [], handoffs: [], maxWait: [] };
await uncontended(); // warm-up
for (let round = 0; round < rounds; round++) {
  for (const [name, u] of Object.entries(await uncontended())) {
    results[name].ops.push(u.opsPerSecond);
    results[name].p50.push(u.p50);
    results[name].p99.push(u.p99);
  }
  const order = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
  for (const name of order) {
    const c = await contended(cycles[name], 1000);
    results[name].handoffs.push(c.handoffsPerSecond);
    results[name].maxWait.push(c.maxWaitMs);
  }
}
const rawName = names[0];
const redlockName = names[3];
console.log(
  `Node ${process.version}, redis-server 7, a Redis Cluster (3 primaries + 3 replicas) and ZooKeeper 3.8 (standalone) on loopback; ${rounds} rounds × ${ops} cycles; medians\n`,
);
console.log(
  '| lock | acquire+release/s | p50 ms | p99 ms | vs raw | vs redlock | contended handoffs/s (16 workers) | max wait ms |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const name of names) {
  const r = results[name];
  const ops_ = median(r.ops);
  console.log(
    `| ${name} | ${Math.round(ops_)} | ${median(r.p50).toFixed(3)} | ${median(r.p99).toFixed(3)} | ${(ops_ / median(results[rawName].ops)).toFixed(3)}× | ${(ops_ / median(results[redlockName].ops)).toFixed(3)}× | ${Math.round(median(r.handoffs))} | ${median(r.maxWait).toFixed(0)} |`,
  );
}
raw.disconnect();
redlockClient.disconnect();
await backend.close();
await zookeeperBackend.close();
await clusterBackend.close?.();
await replicatedBackend.close?.();
await Promise.all([redis.stop(), zookeeper.stop(), cluster.stop()]);
