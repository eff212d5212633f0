import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@nestmesh/testing';

import { LeadershipLostError, LockUnavailableError } from '../../../coordination.errors.js';
import { MemoryLockBackend } from '../../../lock/adapters/memory/memory.lock-backend.js';
import type { LeaseBackend } from '../../../lock/lock-backend.js';
import { DEFAULT_ELECTION_TIMING } from '../../leader-election.js';
import { LeaseLeaderElection } from '../../lease-election.js';
import { runCandidate, type CandidateEvent } from '../../test-fixtures/candidate.js';
import { memoryFencedLog, type FencedLog } from '../../test-fixtures/fenced-log.js';
import { electionContract } from '../../testing/election.contract.js';

/** The shared backend as one candidate sees it; `cut` makes every call fail (its "death"). */
function cuttable(backend: MemoryLockBackend): LeaseBackend & { cut(): void } {
  let cut = false;
  const guard = <T>(key: string, call: () => Promise<T>) =>
    cut ? Promise.reject(new LockUnavailableError(key, new Error('cut off'))) : call();
  return {
    cut: () => (cut = true),
    acquire: (key, owner, ttl) => guard(key, () => backend.acquire(key, owner, ttl)),
    extend: (key, owner, ttl) => guard(key, () => backend.extend(key, owner, ttl)),
    release: (key, owner) => guard(key, () => backend.release(key, owner)),
    holder: (key) => guard(key, () => backend.holder(key)),
    waitForRelease: (key, maxMs, signal) =>
      cut ? new Promise((resolve) => setTimeout(resolve, maxMs)) : backend.waitForRelease(key, maxMs, signal),
  };
}

// The memory backend lives in one process, so its candidates do too: "killed" here means cut
// off from the backend and stopped without resigning, so its lease must run out.
electionContract('memory (candidates in this process)', () => {
  const backend = new MemoryLockBackend();
  const logs = new Map<string, FencedLog>();
  const log = (group: string) => logs.get(group) ?? logs.set(group, memoryFencedLog()).get(group)!;
  const elections: LeaseLeaderElection[] = [];
  return Promise.resolve({
    timing: DEFAULT_ELECTION_TIMING,
    killIs: 'cut off and stopped (memory)',
    start: (group, id) => {
      const view = cuttable(backend);
      const election = new LeaseLeaderElection(view, group);
      elections.push(election);
      const events: CandidateEvent[] = [];
      const candidate = runCandidate(election, id, log(group), (event) => events.push(event));
      return Promise.resolve({
        id,
        events,
        kill: async () => {
          view.cut();
          await candidate.stop();
        },
        term: async () => {
          await candidate.stop();
          await election.close();
        },
      });
    },
    election: (group) => {
      const election = new LeaseLeaderElection(backend, group);
      elections.push(election);
      return Promise.resolve(election);
    },
    log,
    outage: 'memory: the backend is this process’s memory; it cannot become unreachable',
    pausable: 'memory: candidates share one process; SIGSTOP cannot pause one of them',
    close: async () => {
      await Promise.all(elections.map((election) => election.close()));
    },
  });
});

describe('lease election on a manual clock', { timeout: 10_000 }, () => {
  it('a leadership reads as lost from the clock at its renew deadline, and is kept by renewals meanwhile', async () => {
    const clock = new ManualClock();
    const { ttlMs, renewDeadlineMs } = DEFAULT_ELECTION_TIMING;
    const election = new LeaseLeaderElection(new MemoryLockBackend(), 'g', {}, false, clock);
    const leadership = await election.campaign('a');
    await clock.advance(ttlMs * 5); // renewals every ttlMs / 3 keep it
    assert.equal(leadership.active, true);
    clock.stall(renewDeadlineMs - 1);
    assert.equal(leadership.active, true);
    clock.stall(1);
    assert.equal(leadership.active, false, 'at the deadline, with no timer run');
    const reason = leadership.signal.reason as unknown;
    assert.ok(reason instanceof LeadershipLostError && reason.why === 'unconfirmed', String(reason));
    await election.close();
  });
});
