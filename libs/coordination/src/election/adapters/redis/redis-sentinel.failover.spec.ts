import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  startRedis,
  startRedisSentinel,
  waitFor,
  type RedisSentinelDeployment,
  type RedisServer,
} from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { redisFencedLog, type FencedLog } from '../../test-fixtures/fenced-log.js';
import { processCandidate, type CandidateControl } from '../../testing/election.contract.js';

/** As in the contract suite: twice the default TTL, room for a loaded machine. */
const TIMING = { ttlMs: 4000, renewDeadlineMs: 2800, retryIntervalMs: 200 };

/**
 * The fenced log's invariant: accepted writes never go back in epoch, and each epoch has one
 * writer — no two leaders' writes were both accepted out of order.
 */
async function assertFenced(log: FencedLog): Promise<number> {
  const accepted = await log.accepted();
  const writerOf = new Map<bigint, string>();
  for (let index = 0; index < accepted.length; index++) {
    const { epoch, candidateId } = accepted[index];
    if (index > 0) assert.ok(epoch >= accepted[index - 1].epoch, 'accepted writes never go back in epoch');
    assert.equal(writerOf.get(epoch) ?? candidateId, candidateId, `epoch ${epoch} had one writer`);
    writerOf.set(epoch, candidateId);
  }
  return accepted.length;
}

// Three candidate processes elect through the Sentinels (two replicas, so that a replica is
// left to acknowledge wins once one is promoted: replicaAcks defaults to 1); their fenced
// writes go to a plain redis-server that stays up.
describe('an election behind Sentinel across failovers', { timeout: 180_000 }, () => {
  let deployment: RedisSentinelDeployment;
  let store: RedisServer;
  let storeClient: Redis;
  const candidates: CandidateControl[] = [];
  const group = `failover-${process.pid}`;
  let log: FencedLog;

  before(async () => {
    [deployment, store] = await Promise.all([startRedisSentinel({ replicas: 2 }), startRedis()]);
    storeClient = new Redis(store.url);
    log = redisFencedLog(storeClient, group);
    candidates.push(
      ...(await Promise.all(
        ['c1', 'c2', 'c3'].map((id) => processCandidate(deployment.url, store.url, TIMING, group, id)),
      )),
    );
  });
  after(async () => {
    await Promise.all(candidates.map((candidate) => candidate.kill()));
    storeClient?.disconnect();
    await Promise.all([deployment?.stop(), store?.stop()]);
  });

  /**
   * Waits until a leader writes once a renew deadline has passed since the promotion: a leader
   * that had not confirmed its lease on the new primary has stopped by then.
   */
  const writesAfterPromotion = async (description: string) => {
    await sleep(TIMING.renewDeadlineMs);
    await writesBeyond((await log.accepted()).length, description);
  };

  /** Waits until the log has accepted writes beyond `count` (a leader acts). */
  const writesBeyond = (count: number, description: string) =>
    waitFor(async () => (await log.accepted()).length > count + 5, {
      // Promotion (down-after + failover), then a lease at most, then a retry: twice that.
      timeoutMs: 2 * (deployment.downAfterMs + deployment.failoverTimeoutMs + TIMING.ttlMs),
      intervalMs: 50,
      description,
    });

  const elections = () =>
    candidates.flatMap((candidate) =>
      candidate.events.flatMap((event) =>
        event.event === 'elected' ? [`${candidate.id}@${event.epoch}`] : [],
      ),
    );

  it('a Sentinel failover (SENTINEL FAILOVER): a leader acts again, and no two leaders’ writes are accepted', async (t) => {
    await writesBeyond(0, 'a leader’s writes');
    await deployment.failover();
    await writesAfterPromotion('writes after the failover');
    await assertFenced(log);
    t.diagnostic(`elections so far: ${elections().join(', ')}`);
  });

  it('the primary killed (SIGKILL): a leader acts again on the promoted replica, and no two leaders’ writes are accepted', async (t) => {
    const primary = await deployment.primary();
    await primary.kill();
    await deployment.waitForPromotion(primary.port);
    await writesAfterPromotion('writes after the promotion');
    await assertFenced(log);
    t.diagnostic(`elections so far: ${elections().join(', ')}`);
  });
});
