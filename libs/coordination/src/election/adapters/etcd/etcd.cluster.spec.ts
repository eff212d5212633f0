import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  ETCD_CLUSTER_ELECTION_TIMEOUT_MS,
  startEtcdCluster,
  startRedis,
  waitFor,
  type EtcdCluster,
  type EtcdClusterMember,
  type RedisServer,
} from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { redisFencedLog } from '../../test-fixtures/fenced-log.js';
import type { CandidateEvent } from '../../test-fixtures/candidate.js';
import { processCandidate, type CandidateControl } from '../../testing/election.contract.js';

/** The contract's timing for etcd (twice the default TTL: room for a loaded machine). */
const TIMING = { ttlMs: 4000, renewDeadlineMs: 2800, retryIntervalMs: 200 };

let groups = 0;

type Elected = Extract<CandidateEvent, { event: 'elected' }> & { candidateId: string };

const electionsOf = (candidates: CandidateControl[]): Elected[] =>
  candidates
    .flatMap((candidate) =>
      candidate.events.flatMap((event) =>
        event.event === 'elected' ? [{ ...event, candidateId: candidate.id }] : [],
      ),
    )
    .sort((first, second) => first.at - second.at);

describe(
  'etcd elections on a three-member cluster: member loss, leader loss, quorum loss',
  { timeout: 300_000 },
  () => {
    let cluster: EtcdCluster;
    let store: RedisServer;
    let storeClient: Redis;
    const running: CandidateControl[] = [];

    before(async () => {
      [cluster, store] = await Promise.all([startEtcdCluster(), startRedis()]);
      storeClient = new Redis(store.url);
    });

    afterEach(async () => {
      await Promise.all(running.splice(0).map((candidate) => candidate.kill()));
      for (const member of cluster.members) if (!member.running) await member.start();
      await cluster.healthy();
    });

    after(async () => {
      storeClient?.disconnect();
      await Promise.all([cluster?.stop(), store?.stop()]);
    });

    const start = async (count: number) => {
      const group = `g${++groups}-${process.pid}`;
      const candidates = await Promise.all(
        Array.from({ length: count }, (_, index) =>
          processCandidate(cluster.url, store.url, TIMING, group, `c${index + 1}`),
        ),
      );
      running.push(...candidates);
      await waitFor(() => electionsOf(candidates).length > 0, { timeoutMs: 20_000, description: 'a leader' });
      return { group, candidates };
    };

    /**
     * The fenced log's invariant: accepted writes never go back in epoch and each epoch has one
     * writer, so no write of a deposed leader was accepted after its successor's. Returns the
     * accepted writes.
     */
    const assertFenced = async (group: string) => {
      const accepted = await redisFencedLog(storeClient, group).accepted();
      const writerOf = new Map<bigint, string>();
      accepted.forEach(({ epoch, candidateId }, index) => {
        if (index > 0)
          assert.ok(epoch >= accepted[index - 1].epoch, 'accepted writes never go back in epoch');
        assert.equal(writerOf.get(epoch) ?? candidateId, candidateId, `epoch ${epoch} had one writer`);
        writerOf.set(epoch, candidateId);
      });
      return accepted;
    };

    /**
     * Kills the member `pick` names while 3 candidates run, then checks that the group still has
     * one leader writing (the same, or a successor), with the fenced log intact. Returns how many
     * times leadership changed.
     */
    const leadershipThrough = async (pick: () => Promise<EtcdClusterMember>) => {
      const { group, candidates } = await start(3);
      const before = (await assertFenced(group)).length;
      await (await pick()).kill();
      await cluster.healthy();
      // Writes go on: a leader (the same one or a new one) holds the group again.
      await waitFor(async () => (await assertFenced(group)).length >= before + 50, {
        timeoutMs: 4 * TIMING.ttlMs,
        description: 'a leader writing after the member loss',
      });
      await assertFenced(group);
      return electionsOf(candidates);
    };

    /** The running member serving the most watches (the candidates' watches of the leader key). */
    const busiestWatchMember = async () => {
      const members = cluster.members.filter((member) => member.running);
      const counts = await Promise.all(members.map(async (member) => (await member.streams()).watchers));
      return members[counts.indexOf(Math.max(...counts))];
    };

    it('the member serving the candidates\u2019 watches is killed: leadership holds, the fenced log stays ordered', async (t) => {
      const elections = await leadershipThrough(busiestWatchMember);
      t.diagnostic(`elections: ${elections.length} (1 = the leader kept its leadership)`);
    });

    it('the Raft leader member is killed: leadership holds or passes, never two writers per epoch', async (t) => {
      const elections = await leadershipThrough(async () => (await cluster.leader())!);
      t.diagnostic(`elections: ${elections.length} (1 = the leader kept its leadership)`);
    });

    it('quorum lost: the leader steps down by its renew deadline, nobody leads, a leader returns with the quorum', async (t) => {
      const { group, candidates } = await start(3);
      const [first] = electionsOf(candidates);
      const leader = candidates.find((candidate) => candidate.id === first.candidateId)!;
      // The two followers: the Raft leader is left alone, the worst case, as it goes on renewing
      // leases (etcd renews on the leader without a quorum round) until it notices it lost the
      // quorum, one election timeout later (CheckQuorum).
      const raftLeader = (await cluster.leader())!;
      const downAt = Date.now();
      await Promise.all(
        cluster.members.filter((member) => member !== raftLeader).map((member) => member.kill()),
      );
      const revoked = await waitFor(() => leader.events.find((event) => event.event === 'revoked'), {
        timeoutMs: 4 * TIMING.ttlMs,
        description: 'the leader to step down',
      });
      assert.equal(revoked.event === 'revoked' && revoked.why, 'unconfirmed');
      const stepDownMs = revoked.at - downAt;
      t.diagnostic(`stepped down ${stepDownMs} ms after the quorum was lost`);
      const boundMs = 2 * (TIMING.renewDeadlineMs + ETCD_CLUSTER_ELECTION_TIMEOUT_MS);
      assert.ok(stepDownMs <= boundMs, `stepped down after ${stepDownMs} ms (bound ${boundMs})`);

      // Longer than a lease after the step-down: nobody may win without a quorum.
      await new Promise((resolve) => setTimeout(resolve, 1.5 * TIMING.ttlMs));
      assert.deepEqual(
        electionsOf(candidates).filter((election) => election.at > first.at),
        [],
        'nobody elected without a quorum',
      );

      await Promise.all(cluster.members.filter((member) => !member.running).map((member) => member.start()));
      const quorumBackAt = Date.now();
      const back = await waitFor(() => electionsOf(candidates).find((election) => election.at > first.at), {
        timeoutMs: 6 * TIMING.ttlMs,
        description: 'a leader once the quorum is back',
      });
      t.diagnostic(`a leader ${back.at - quorumBackAt} ms after the members were back`);
      assert.ok(BigInt(back.epoch) > BigInt(first.epoch));
      await waitFor(
        async () => (await assertFenced(group)).some((write) => write.epoch === BigInt(back.epoch)),
        {
          description: 'the new leader writing',
        },
      );
      await assertFenced(group);
    });
  },
);
