import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { startWorkers } from './workers.js';

/** A promise with its resolver, for a round that waits until the test lets it go. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('startWorkers: loops that end with their test', () => {
  it('stop() starts no new round and waits for the rounds in progress', async () => {
    const release = gate();
    let started = 0;
    let finished = 0;
    const workers = startWorkers(3, async () => {
      started++;
      await release.opened;
      finished++;
    });
    await turn();
    assert.equal(started, 3, 'one round per loop in progress');
    const stopping = workers.stop();
    release.open();
    await stopping;
    assert.deepEqual([started, finished], [3, 3], 'the rounds in progress finished; no new one began');
  });

  it('an aborted signal (the test ended or failed) stops the loops and aborts the rounds in flight', async () => {
    const test = new AbortController();
    let rounds = 0;
    const workers = startWorkers(
      2,
      async (signal) => {
        rounds++;
        await new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      },
      { signal: test.signal },
    );
    test.abort(new Error('test failed'));
    await workers.stop(); // a round cut short by the signal is not an error
    assert.equal(rounds, 2);
  });

  it('a round that throws stops every loop, and stop() rejects with its error', async () => {
    let rounds = 0;
    const broke = gate();
    const workers = startWorkers(2, async () => {
      const round = ++rounds;
      await turn();
      if (round === 5) {
        broke.open();
        throw new Error('round 5 broke');
      }
    });
    await broke.opened;
    for (let index = 0; index < 20; index++) await turn();
    // The other loop's round in progress (the 6th) may finish; none starts after.
    assert.ok(rounds <= 6, `${rounds} rounds ran`);
    await assert.rejects(workers.stop(), /round 5 broke/);
  });
});

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
