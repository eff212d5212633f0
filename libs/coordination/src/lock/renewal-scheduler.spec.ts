import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@nestmesh/testing';

import { COALESCE_MS, type Renewable, RenewalScheduler } from './renewal-scheduler.js';

/** An item due `inMs` from now that records its renewals (name and time) in `renewed`. */
function item(clock: ManualClock, inMs: number, renewed: [string, number][], name: string): Renewable {
  return { renewAt: clock.now() + inMs, renewNow: () => renewed.push([name, clock.now()]) };
}

describe('RenewalScheduler (one timer for every lease; a manual clock)', { timeout: 10_000 }, () => {
  it('renews each item once, at its time and not before, earliest first, re-arming for one added earlier than the armed time', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const scheduler = new RenewalScheduler(clock);
    const renewed: [string, number][] = [];
    scheduler.add(item(clock, 120, renewed, 'late'));
    scheduler.add(item(clock, 30, renewed, 'early')); // earlier than the armed timer: re-arms
    const dropped = item(clock, 60, renewed, 'dropped');
    scheduler.add(dropped);
    scheduler.delete(dropped); // released before its renewal: never renewed
    assert.equal(clock.pending, 1, 'one timer, whatever the number of items');
    assert.equal(clock.nextAt, start + 30);

    await clock.advance(29);
    assert.deepEqual(renewed, [], 'nothing before its time');
    await clock.advance(1);
    assert.deepEqual(renewed, [['early', start + 30]]);
    assert.equal(clock.pending, 1, 'still one timer');
    await clock.advance(60); // the dropped item's time: a firing with nothing due for it
    assert.deepEqual(renewed, [['early', start + 30]]);
    await clock.advance(1000);
    assert.deepEqual(renewed, [
      ['early', start + 30],
      ['late', start + 120],
    ]);
    assert.equal(clock.pending, 0, 'no timer once nothing is left');
  });

  it(`items due within ${COALESCE_MS} ms of a firing are renewed by it; later ones get their own`, async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const scheduler = new RenewalScheduler(clock);
    const renewed: [string, number][] = [];
    scheduler.add(item(clock, 100, renewed, 'a'));
    scheduler.add(item(clock, 100 + COALESCE_MS, renewed, 'b'));
    scheduler.add(item(clock, 100 + COALESCE_MS + 1, renewed, 'c'));
    await clock.advance(100);
    assert.deepEqual(renewed, [
      ['a', start + 100],
      ['b', start + 100],
    ]);
    await clock.advance(COALESCE_MS + 1);
    assert.deepEqual(renewed.at(-1), ['c', start + 100 + COALESCE_MS + 1]);
  });

  it('an item re-added from its own renewal is renewed again, once per period', async () => {
    const clock = new ManualClock();
    const start = clock.now();
    const scheduler = new RenewalScheduler(clock);
    const times: number[] = [];
    const looping: Renewable & { renewAt: number } = {
      renewAt: start + 10,
      renewNow() {
        times.push(clock.now());
        if (times.length < 3) {
          this.renewAt = clock.now() + 10;
          scheduler.add(this);
        }
      },
    };
    scheduler.add(looping);
    await clock.advance(1000);
    assert.deepEqual(times, [start + 10, start + 20, start + 30]);
    assert.equal(clock.pending, 0);
  });
});
