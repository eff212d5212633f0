import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ElectionGroupState, ElectionInspector } from '../sources/mesh-backends.js';
import { LeaderHistory } from './leader-history.js';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 30, 20, 0, seconds));

function state(candidateId: string | undefined, epoch: bigint): ElectionGroupState {
  return {
    group: 'inventory',
    ...(candidateId ? { leader: { candidateId, epoch, since: at(0) } } : {}),
    lastEpoch: epoch,
  };
}

/** An inspector whose watch yields the given states, then waits for the abort. */
function inspectorOf(
  states: (ElectionGroupState | undefined)[],
  failWith?: Error,
): ElectionInspector & { watches: number } {
  const inspector = {
    watches: 0,
    groups: () => Promise.resolve(['inventory']),
    group: () => Promise.resolve(states.at(-1)),
    async *watch(_name: string, { signal }: { signal?: AbortSignal } = {}) {
      inspector.watches++;
      for (const each of states) yield each;
      if (failWith) throw failWith;
      await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
    },
    close: () => Promise.resolve(),
  };
  return inspector;
}

describe('LeaderHistory', { timeout: 10_000 }, () => {
  it('keeps each new leadership once, newest first, up to the limit; a free lease shows no leader', () => {
    let seconds = 0;
    const history = new LeaderHistory(2, () => at(++seconds));
    history.record('inventory', state('a', 1n));
    history.record('inventory', state('a', 1n));
    history.record('inventory', state('b', 2n));
    history.record('inventory', state('a', 3n));
    const [group] = history.view();
    assert.deepEqual(
      group.history.map((entry) => [entry.candidateId, entry.epoch, entry.seenAt]),
      [
        ['a', '3', at(3).toISOString()],
        ['b', '2', at(2).toISOString()],
      ],
    );
    assert.equal(group.leader?.epoch, '3');
    history.record('inventory', { group: 'inventory', lastEpoch: 3n });
    const [free] = history.view();
    assert.deepEqual([free.leader, free.lastEpoch, free.history.length], [undefined, '3', 2]);
  });

  it('follows each group once; a failed watch is shown (redacted) and restarted on the next follow', async () => {
    const history = new LeaderHistory(10);
    const failing = inspectorOf([state('a', 1n)], new Error('election: redis://u:pw@h:6379 unreachable'));
    await history.follow(failing, ['inventory']);
    await new Promise((resolve) => setImmediate(resolve)); // the watch fails after its first state
    const [group] = history.view();
    assert.equal(group.error, 'election: redis://u:***@h:6379 unreachable');
    assert.equal(group.leader?.candidateId, 'a');

    const healthy = inspectorOf([state('b', 2n)]);
    await Promise.all([history.follow(healthy, ['inventory']), history.follow(healthy, ['inventory'])]);
    assert.equal(healthy.watches, 1, 'one watch per group');
    assert.deepEqual(
      history.view()[0].history.map((entry) => entry.candidateId),
      ['b', 'a'],
    );
    assert.equal(history.view()[0].error, undefined);
    history.close();
  });

  it('a newly followed group is in the next view with its state, and a view is not changed afterwards', async () => {
    const history = new LeaderHistory(10);
    // The first snapshot used to show a group's history without its leader: the view was taken
    // before the watch's first state, and shared the history list the watch then filled in.
    await history.follow(inspectorOf([state('a', 1n)]), ['inventory']);
    const [first] = history.view();
    assert.equal(first.leader?.candidateId, 'a');
    assert.equal(first.lastEpoch, '1');
    history.record('inventory', {
      group: 'inventory',
      leader: { candidateId: 'b', epoch: 2n },
      lastEpoch: 2n,
    });
    assert.deepEqual(
      first.history.map((entry) => entry.epoch),
      ['1'],
      'the earlier view keeps what it showed',
    );
    history.close();
  });
});
