import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  startRedis,
  startRedisCluster,
  waitFor,
  type RedisCluster,
  type RedisServer,
} from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { LockUnavailableError } from '../../../coordination.errors.js';
import { lockBackends } from '../../lock-backend.factory.js';
import { LOCK_KEY_PREFIX, type RedisLockBackend } from './redis.lock-backend.js';

/**
 * A fenced store as the sample stock store fences (redis-stock.scripts.ts): a write whose token
 * is below the last one seen is refused; an equal one is the same holder writing again.
 */
const FENCED_SET = `
if tonumber(ARGV[1]) < tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') then return 0 end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], 'value', ARGV[2])
return 1`;

/**
 * A grant the replica never gets: the primary's link to its replica is cut (the replica paused,
 * so that it cannot reconnect meanwhile), the lock is taken, and the primary is killed before
 * the replica is back — as when a primary crashes with writes not yet replicated.
 */
async function grantThenCrash(
  cluster: RedisCluster,
  key: string,
  grant: () => Promise<bigint | undefined>,
): Promise<{ granted: PromiseSettledResult<bigint | undefined>; promotedAfterMs: number }> {
  const primary = await cluster.primaryOf(`${LOCK_KEY_PREFIX}{${key}}`);
  const replica = await cluster.replicaOf(primary);
  replica.pause();
  await primary.command('CLIENT', 'KILL', 'TYPE', 'replica');
  const [granted] = await Promise.allSettled([grant()]);
  const crashedAt = performance.now();
  await primary.kill();
  replica.resume();
  await cluster.killPrimary(primary);
  const promotedAfterMs = performance.now() - crashedAt;
  // Detection takes the node timeout, the election a few hundred ms more (about 2 × on a quiet
  // machine); the bound leaves room for a loaded one.
  assert.ok(promotedAfterMs >= cluster.nodeTimeoutMs, `promoted after ${promotedAfterMs} ms`);
  assert.ok(promotedAfterMs <= 10 * cluster.nodeTimeoutMs, `promoted after ${promotedAfterMs} ms`);
  await primary.start(); // back as a replica of the promoted node, for the next case
  await cluster.waitUntilHealthy();
  return { granted, promotedAfterMs };
}

/** Each grant acknowledged by a replica; a 4 s command deadline (WAIT: 2 s) for a loaded machine. */
const REPLICATED = '?replicaAcks=1&timeout=4000';

describe('Redis Cluster failover while locks are held', { timeout: 180_000 }, () => {
  let cluster: RedisCluster;
  let store: RedisServer;
  let storeClient: Redis;
  const backends: RedisLockBackend[] = [];
  const backend = async (query = '') => {
    const made = (await lockBackends.create(`${cluster.url}${query}`, {})) as RedisLockBackend;
    backends.push(made);
    return made;
  };
  /** A fenced write of the data guarded by lock `key`. */
  const fencedSet = async (key: string, token: bigint, value: string) =>
    (await storeClient.eval(FENCED_SET, 1, `data:${key}`, String(token), value)) === 1;
  before(async () => {
    cluster = await startRedisCluster();
    store = await startRedis();
    storeClient = new Redis(store.url);
  });
  after(async () => {
    await Promise.allSettled(backends.map((made) => made.close()));
    storeClient?.disconnect();
    await Promise.allSettled([cluster?.stop(), store?.stop()]);
  });

  it('with ?replicaAcks=0: a grant lost with its primary is granted again after the failover with a token not above the lost one, and the stale holder’s write passes the fence', async (t) => {
    const [first, second] = [await backend('?replicaAcks=0'), await backend('?replicaAcks=0')];
    const key = 'unreplicated';
    for (const owner of ['w1', 'w2']) {
      await first.acquire(key, owner, 60_000);
      await first.release(key, owner);
    }
    // Replicated: the fence is at 2 on both nodes.
    await (await cluster.primaryOf(`${LOCK_KEY_PREFIX}{${key}}`)).command('WAIT', '1', '5000');
    const { granted, promotedAfterMs } = await grantThenCrash(cluster, key, () =>
      first.acquire(key, 'a', 60_000),
    );
    assert.equal(granted.status, 'fulfilled');
    const tokenA = granted.value!;
    t.diagnostic(
      `holder A: token ${tokenA}; replica promoted ${Math.round(promotedAfterMs)} ms after the crash`,
    );
    // The promoted replica has neither A's lease nor its fence: B is granted A's token again,
    // though A's lease has 60 s left.
    const tokenB = await waitFor(() => second.acquire(key, 'b', 60_000), { timeoutMs: 30_000 });
    t.diagnostic(`holder B: token ${tokenB}`);
    assert.ok(tokenB <= tokenA, `the fence went back: B's token ${tokenB} is not above A's ${tokenA}`);
    // B, the holder now, writes; A, whose lease it still believes in, writes after it.
    assert.ok(await fencedSet(key, tokenB, 'written by B'));
    assert.ok(
      await fencedSet(key, tokenA, 'A, over B'),
      'A’s token passes the fence: fencing did not save B’s write',
    );
  });

  it('with ?replicaAcks=1 (the default): a grant no replica acknowledged is refused; a replicated one survives the failover, and the next token is greater', async (t) => {
    const [first, second] = [await backend(REPLICATED), await backend(REPLICATED)];
    const key = 'replicated';
    const { granted } = await grantThenCrash(cluster, key, () => first.acquire(key, 'a', 60_000));
    assert.equal(granted.status, 'rejected', 'the unacknowledged grant is not handed out');
    const refusal = granted.reason as Error;
    assert.ok(refusal instanceof LockUnavailableError);
    assert.match(refusal.message, /reached 0 of 1 replica/);

    // A grant acknowledged by the replica: its primary killed, the promoted replica has the
    // lease (B is refused; a lease of a minute outlasts a failover on a loaded machine) and the
    // fence (once A lets go, B's token is greater), and A's late write is refused.
    const tokenA = (await first.acquire(key, 'a', 60_000))!;
    const primary = await cluster.primaryOf(`${LOCK_KEY_PREFIX}{${key}}`);
    await cluster.killPrimary(primary);
    assert.equal(await second.acquire(key, 'b', 60_000), undefined, 'A’s lease survived');
    assert.deepEqual(await second.holder(key), { owner: 'a', token: tokenA }, 'and its token');
    // A is done; grants need a replica to acknowledge them: the old primary rejoins as one.
    await first.release(key, 'a');
    await primary.start();
    await cluster.waitUntilHealthy();
    const tokenB = await waitFor(() => second.acquire(key, 'b', 60_000), {
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    t.diagnostic(`A: token ${tokenA}, B: token ${tokenB}`);
    assert.ok(tokenB > tokenA, `${tokenB} > ${tokenA}`);
    assert.ok(await fencedSet(key, tokenB, 'written by B'));
    assert.equal(await fencedSet(key, tokenA, 'A, late'), false, 'A’s late write is refused');
  });
});
