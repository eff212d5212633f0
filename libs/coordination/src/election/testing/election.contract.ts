import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@nestmesh/testing';

import { LeadershipLostError } from '../../coordination.errors.js';
import { stall } from '../../lock/testing/stall.js';
import type { ElectionTiming, LeaderElection } from '../leader-election.js';
import type { FencedLog } from '../test-fixtures/fenced-log.js';
import type { CandidateControl } from './candidate-process.js';

export { processCandidate, type CandidateControl } from './candidate-process.js';

export interface ElectionHarness {
  readonly timing: ElectionTiming;
  /** What "kill" means here, for the test names. */
  readonly killIs: string;
  start(group: string, candidateId: string): Promise<CandidateControl>;
  /** An election of `group` in this process, on the same backend (the test closes it). */
  election(group: string): Promise<LeaderElection>;
  log(group: string): FencedLog;
  /** Makes the backend unreachable and brings it back (with its data); absent: why not. */
  outage: { stop(): Promise<void>; start(): Promise<void> } | string;
  /** Absent: why candidates cannot be paused. */
  pausable: true | string;
  close(): Promise<void>;
}

let groups = 0;

/**
 * A bound the election's timing promises, with room for a loaded machine: the bound again on
 * top. Timers and processes run late under load, but not by the whole of the intervals they
 * serve for long; a real regression (waiting out a second lease, a missed release) still fails.
 */
const underLoad = (promisedMs: number): number => 2 * promisedMs;

/**
 * What every election backend must do, with candidates that are separate processes wherever
 * the backend allows it; run once per adapter. Timing claims are in bench/ (npm run
 * bench:election); the bounds here derive from the harness's timing (underLoad).
 */
export function electionContract(adapter: string, setup: () => Promise<ElectionHarness>): void {
  // A hang guard: the etcd run, the slowest, took 82 s at load average 22 on 2 cores.
  describe(`leader election contract: ${adapter}`, { timeout: 300_000 }, () => {
    let harness: ElectionHarness;
    const running: CandidateControl[] = [];
    before(async () => (harness = await setup()));
    after(async () => {
      await Promise.all(running.map((candidate) => candidate.kill()));
      await harness?.close();
    });

    const start = async (count: number) => {
      const group = `g${++groups}-${process.pid}`;
      const candidates = await Promise.all(
        Array.from({ length: count }, (_, i) => harness.start(group, `c${i + 1}`)),
      );
      running.push(...candidates);
      return { group, candidates };
    };
    const elections = (candidates: CandidateControl[]) =>
      candidates.flatMap((c) =>
        c.events.flatMap((e) => (e.event === 'elected' ? [{ ...e, candidateId: c.id }] : [])),
      );
    const leaderOf = async (candidates: CandidateControl[]) => {
      await waitFor(() => elections(candidates).length > 0, { timeoutMs: 10_000, description: 'a leader' });
      const [first] = elections(candidates);
      return { leader: candidates.find((c) => c.id === first.candidateId)!, epoch: first.epoch };
    };
    const electedAfter = (candidates: CandidateControl[], since: number, exclude: string) =>
      waitFor(() => elections(candidates).find((e) => e.at >= since && e.candidateId !== exclude), {
        timeoutMs: 15_000,
        description: 'a new leader',
      });
    const assertFenced = async (group: string) => {
      const accepted = await harness.log(group).accepted();
      const writerOf = new Map<bigint, string>();
      for (let i = 0; i < accepted.length; i++) {
        const { epoch, candidateId } = accepted[i];
        if (i > 0) assert.ok(epoch >= accepted[i - 1].epoch, 'accepted writes never go back in epoch');
        assert.equal(writerOf.get(epoch) ?? candidateId, candidateId, `epoch ${epoch} had one writer`);
        writerOf.set(epoch, candidateId);
      }
      return accepted;
    };

    it('3 candidates: exactly one leader, and every observer agrees on who', async () => {
      const { candidates } = await start(3);
      const { leader, epoch } = await leaderOf(candidates);
      const agrees = (c: CandidateControl) => {
        const seen = c.events.filter((e) => e.event === 'observed').at(-1);
        return seen?.event === 'observed' && seen.leader === leader.id && seen.epoch === epoch;
      };
      // Observers poll every retry interval (etcd: watch) once their process runs; ×5 leaves
      // room for three processes setting up on a loaded machine (2× failed at load 25).
      await waitFor(() => candidates.every(agrees), {
        timeoutMs: 5 * (harness.timing.ttlMs + harness.timing.retryIntervalMs),
        description: 'observers to agree',
      }).catch((error: unknown) => {
        // Say what each candidate saw: a second election and a lagging observer differ.
        const seen = candidates.map((c) => ({ id: c.id, events: c.events }));
        throw new Error(`${String(error)}; leader ${leader.id}@${epoch}; ${JSON.stringify(seen)}`);
      });
      // Longer than a lease: still the one leader, no second election.
      await new Promise((resolve) => setTimeout(resolve, harness.timing.ttlMs));
      assert.equal(elections(candidates).length, 1);
      assert.ok(candidates.every(agrees));
    });

    it('the leader killed: a new leader within TTL + one retry interval, with a greater epoch', async (t) => {
      const { group, candidates } = await start(3);
      const { leader, epoch } = await leaderOf(candidates);
      const killedAt = Date.now();
      await leader.kill();
      const next = await electedAfter(candidates, killedAt, leader.id);
      const failoverMs = next.at - killedAt;
      t.diagnostic(`${harness.killIs}: new leader after ${failoverMs} ms`);
      assert.ok(BigInt(next.epoch) > BigInt(epoch));
      // Promised: the rest of the lease (at most a TTL) and one retry; etcd adds its expiry
      // check period (0.5 s), which the margin covers.
      const { ttlMs, retryIntervalMs } = harness.timing;
      const boundMs = underLoad(ttlMs + retryIntervalMs);
      assert.ok(failoverMs <= boundMs, `failover took ${failoverMs} ms (bound ${boundMs})`);
      await assertFenced(group);
    });

    it('the leader terminated (SIGTERM): it drains and resigns; another takes over before the lease could have run out', async (t) => {
      const { group, candidates } = await start(3);
      const { leader } = await leaderOf(candidates);
      const signalledAt = Date.now();
      const ended = leader.term();
      const next = await electedAfter(candidates, signalledAt, leader.id);
      await ended;
      const drained = leader.events.find((e) => e.event === 'drained');
      assert.ok(drained, 'the leader drained');
      assert.ok(drained.at <= next.at, 'it had stopped acting before the next one was elected');
      assert.ok(
        leader.events.some((e) => e.event === 'resigned'),
        'the leader resigned',
      );
      t.diagnostic(
        `handover ${next.at - signalledAt} ms after SIGTERM, ${next.at - drained.at} ms after the drain`,
      );
      // A resign frees the lease at once (followers take it within a retry interval). Left to
      // expire, it would last until a TTL after its last renewal, which was at most ttlMs / 3
      // before the drain: the next leader must come sooner than that. Measured from the drain,
      // since the old leader's own shutdown under load is not the election's.
      const { ttlMs } = harness.timing;
      const boundMs = ttlMs - ttlMs / 3;
      assert.ok(
        next.at - drained.at < boundMs,
        `handover took ${next.at - drained.at} ms after the drain (bound ${boundMs})`,
      );
      await assertFenced(group);
    });

    it('the leader paused (SIGSTOP) past its TTL: another takes over; resumed, its signal has fired and its stale write is refused', async (t) => {
      if (harness.pausable !== true) return t.skip(harness.pausable);
      const { group, candidates } = await start(2);
      const { leader, epoch } = await leaderOf(candidates);
      leader.pause!();
      const pausedAt = Date.now();
      const next = await electedAfter(candidates, pausedAt, leader.id);
      // Let the new leader write before the old one wakes up.
      await waitFor(
        async () => (await harness.log(group).accepted()).some((w) => w.epoch === BigInt(next.epoch)),
        { description: 'the new leader to write' },
      );
      leader.resume!();
      const stale = await waitFor(() => leader.events.find((e) => e.event === 'stale-write'), {
        description: 'the old leader to notice',
      });
      const revoked = leader.events.find((e) => e.event === 'revoked');
      assert.ok(revoked && revoked.epoch === epoch, 'its leadership signal fired');
      assert.equal(
        stale.event === 'stale-write' && stale.accepted,
        false,
        'its stale-epoch write was refused',
      );
      const accepted = await assertFenced(group);
      const firstNew = accepted.findIndex((w) => w.epoch === BigInt(next.epoch));
      assert.ok(
        accepted.slice(firstNew).every((w) => w.epoch !== BigInt(epoch)),
        'no write of the old epoch was accepted after the new leader wrote',
      );
    });

    // A leader that stalls past its renew deadline resumes inside its own work first (its own
    // short timer fires before the lease's): it must see the leadership gone right there.
    it('a leader stalled past its renew deadline sees its leadership lost the moment its code runs again', async () => {
      const election = await harness.election(`g${++groups}-${process.pid}`);
      try {
        const leadership = await election.campaign('stalled', { signal: AbortSignal.timeout(10_000) });
        let events = 0;
        leadership.signal.addEventListener('abort', () => events++);
        assert.equal(leadership.active, true, 'the leader before the stall');
        const { renewDeadlineMs, retryIntervalMs } = harness.timing;
        stall(renewDeadlineMs + retryIntervalMs);
        // The code resumes before any timer can run: a microtask, not a timer of its own (one
        // of those may be due after the lease's renew timer when the machine is slow to
        // start it, and then the lease's timer runs first — a flake seen under load).
        await Promise.resolve();
        assert.equal(events, 0, 'its own timer ran before the leadership was told');
        assert.equal(leadership.active, false, 'active answers from the clock');
        assert.equal(events, 1, 'the abort event fired at the read');
        assert.equal(leadership.signal.aborted, true);
        const reason = leadership.signal.reason as unknown;
        assert.ok(reason instanceof LeadershipLostError, String(reason));
        assert.equal(reason.why, 'unconfirmed');
        assert.throws(
          () => leadership.signal.throwIfAborted(),
          (error: unknown) => error === reason,
        );
      } finally {
        await election.close();
      }
    });

    it('the backend unreachable: the leader demotes itself by its renew deadline; leadership resumes when it returns', async (t) => {
      if (typeof harness.outage === 'string') return t.skip(harness.outage);
      const { candidates } = await start(2);
      const { leader, epoch } = await leaderOf(candidates);
      const downAt = Date.now();
      await harness.outage.stop();
      const revoked = await waitFor(() => leader.events.find((e) => e.event === 'revoked'), {
        timeoutMs: 10_000,
        description: 'the leader to demote itself',
      });
      assert.equal(revoked.event === 'revoked' && revoked.why, 'unconfirmed');
      t.diagnostic(`demoted ${revoked.at - downAt} ms after the backend went away`);
      // Its last confirmation was before downAt, so the deadline falls within renewDeadlineMs.
      const boundMs = underLoad(harness.timing.renewDeadlineMs);
      assert.ok(revoked.at - downAt <= boundMs, `demoted after ${revoked.at - downAt} ms (bound ${boundMs})`);
      await harness.outage.start();
      const back = await waitFor(() => elections(candidates).find((e) => BigInt(e.epoch) > BigInt(epoch)), {
        timeoutMs: 20_000,
        description: 'a leader once the backend is back',
      });
      assert.ok(back);
    });
  });
}
