import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisSentinel, waitFor, type RedisSentinelDeployment } from '@nestmesh/testing';

import { LockUnavailableError } from '../../../coordination.errors.js';
import { RedisLockBackend } from './redis.lock-backend.js';

/**
 * How long clients may take to lock on the new primary after the old one died: Sentinel's
 * down-after, then its agreement, election and promotion (bounded by failover-timeout), then
 * ioredis asking the Sentinels again; twice that for a loaded machine.
 */
const followBoundMs = (deployment: RedisSentinelDeployment): number =>
  2 * (deployment.downAfterMs + deployment.failoverTimeoutMs);

/**
 * With replicaAcks=1 the new primary needs a replica of its own to grant locks: two replicas,
 * so that one is left once the other is promoted.
 */
async function deploymentFor(t: TestContext, replicas: number): Promise<RedisSentinelDeployment> {
  const deployment = await startRedisSentinel({ replicas });
  t.after(() => deployment.stop());
  return deployment;
}

/**
 * `operation` on a client that has followed the new primary, retried while it is
 * LockUnavailableError within the follow bound: ioredis' failover detector reconnects once
 * more when `+switch-master` arrives, which can be after the client already reached the new
 * primary (Sentinel names it while it finishes the failover); a command in that moment finds
 * no connection (docs/coordination.md, "Following the new primary").
 */
async function followed<T>(deployment: RedisSentinelDeployment, operation: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + followBoundMs(deployment);
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof LockUnavailableError) || performance.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

function backend(t: TestContext, deployment: RedisSentinelDeployment, replicaAcks: number): RedisLockBackend {
  const created = new RedisLockBackend({ url: deployment.url, replicaAcks });
  t.after(() => created.close());
  return created;
}

/**
 * Stops replication while the primary keeps serving: the replicas are paused, and the primary
 * drops their links (so nothing waits in their socket buffers). What the primary accepts from
 * now on exists on the primary only, as in the moment before an asynchronous copy.
 */
async function cutReplication(deployment: RedisSentinelDeployment, onPrimary: RedisLockBackend) {
  const primary = await deployment.primary();
  const replicas = deployment.nodes.filter((node) => node !== primary);
  await waitFor(async () => (await onPrimary.client.wait(replicas.length, 100)) === replicas.length, {
    description: 'replicas in sync',
  });
  for (const replica of replicas) replica.pause();
  await onPrimary.client.call('CLIENT', 'KILL', 'TYPE', 'replica');
  return { primary, replicas };
}

/** SIGKILLs the primary (the replicas resumed), and waits until the Sentinels promote one. */
async function killPrimary(
  deployment: RedisSentinelDeployment,
  { primary, replicas }: Awaited<ReturnType<typeof cutReplication>>,
) {
  await primary.kill();
  for (const replica of replicas) replica.resume();
  await deployment.waitForPromotion(primary.port);
}

describe('locks behind Sentinel: the primary killed (SIGKILL)', { timeout: 180_000 }, () => {
  it('replicaAcks=0 (a finding): a grant the primary had not yet replicated is lost, and the next holder gets the same fencing token', async (t) => {
    const deployment = await deploymentFor(t, 1);
    const first = backend(t, deployment, 0);
    const second = backend(t, deployment, 0);
    const cut = await cutReplication(deployment, first);
    const token = await first.acquire('k', 'first', 60_000);
    assert.ok(token !== undefined);
    await killPrimary(deployment, cut);
    // The 60 s lease is gone with the primary, and the counter went back with it.
    const again = await waitFor(() => second.acquire('k', 'second', 60_000).catch(() => undefined), {
      timeoutMs: followBoundMs(deployment),
      description: 'the lock on the new primary',
    });
    assert.equal(again, token, 'the same fencing token, issued to two holders');
  });

  it('replicaAcks=1: a grant no replica acknowledged is refused and given back, so no caller ever holds a token the new primary reissues', async (t) => {
    const deployment = await deploymentFor(t, 2);
    const first = backend(t, deployment, 1);
    const second = backend(t, deployment, 1);
    const earlier = (await first.acquire('k', 'first', 60_000))!;
    await first.release('k', 'first');
    const cut = await cutReplication(deployment, first);
    await assert.rejects(
      first.acquire('k', 'first', 60_000),
      (error: unknown) => error instanceof LockUnavailableError && /0 of 1 replicas/.test(error.message),
    );
    assert.equal(await first.holder('k'), undefined, 'the refused grant was given back');
    await killPrimary(deployment, cut);
    const next = await waitFor(() => second.acquire('k', 'second', 60_000).catch(() => undefined), {
      timeoutMs: followBoundMs(deployment),
      description: 'the lock on the new primary',
    });
    assert.ok(next > earlier, `${next} after ${earlier}: every token a caller got is below the next`);
  });

  it('replicaAcks=1: an acknowledged lease and its token survive; the holder extends it on the new primary, others are refused, and clients follow in time', async (t) => {
    const deployment = await deploymentFor(t, 2);
    const holder = backend(t, deployment, 1);
    const other = backend(t, deployment, 1);
    const token = (await holder.acquire('k', 'holder', 60_000))!;
    const primary = await deployment.primary();
    const killedAt = performance.now();
    await primary.kill();
    // The first lock taken on the new primary, as a client sees it: the time to follow.
    await waitFor(() => other.acquire('fresh', 'other', 60_000).catch(() => undefined), {
      timeoutMs: followBoundMs(deployment),
      description: 'a lock on the new primary',
    });
    const followedMs = Math.round(performance.now() - killedAt);
    t.diagnostic(`primary SIGKILL → first lock on the new primary: ${followedMs} ms`);
    assert.notEqual(await deployment.currentPrimary(), primary.port);
    const afterFollow = <T>(operation: () => Promise<T>) => followed(deployment, operation);
    assert.equal(
      await afterFollow(() => other.acquire('k', 'other', 60_000)),
      undefined,
      'the lease survived',
    );
    assert.equal(
      await afterFollow(() => holder.extend('k', 'holder', 60_000)),
      true,
      'its holder still holds it',
    );
    assert.deepEqual(await afterFollow(() => other.holder('k')), { owner: 'holder', token });
    await afterFollow(() => holder.release('k', 'holder'));
    assert.ok(
      (await afterFollow(() => other.acquire('k', 'other', 60_000)))! > token,
      'the next token is greater',
    );
  });
});
