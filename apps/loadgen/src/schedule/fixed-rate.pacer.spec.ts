import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@nestmesh/testing';

import { FixedRatePacer } from './fixed-rate.pacer.js';

function pacerAt(ratePerSecond: number, tickAtStart = true) {
  const clock = new ManualClock();
  const ticks: number[] = [];
  const missed: number[] = [];
  const pacer = new FixedRatePacer(
    ratePerSecond,
    clock,
    () => ticks.push(clock.now()),
    (count) => missed.push(count),
    tickAtStart,
  );
  return { clock, ticks, missed, pacer };
}

describe('FixedRatePacer', { timeout: 10_000 }, () => {
  it('ticks at start and then once per interval, on a schedule anchored at start', async () => {
    const { clock, ticks, missed, pacer } = pacerAt(5);
    const start = clock.now();
    pacer.start();
    await clock.advance(1000);
    pacer.stop();
    assert.deepEqual(
      ticks.map((at) => at - start),
      [0, 200, 400, 600, 800, 1000],
    );
    assert.deepEqual(missed, []);
  });

  it('keeps the rate of a rate whose interval is not a whole number of ms (3/s)', async () => {
    const { clock, ticks, pacer } = pacerAt(3);
    pacer.start();
    await clock.advance(10_000);
    pacer.stop();
    // ticks at 0, 333.3…, 666.6…, …, 10 000: exactly 31, none lost to rounding.
    assert.equal(ticks.length, 31);
  });

  it('after a stall runs one tick, not a burst, and reports the ticks it dropped', async () => {
    const { clock, ticks, missed, pacer } = pacerAt(10);
    const start = clock.now();
    pacer.start();
    await clock.advance(100); // ticks at 0 and 100
    clock.stall(1050); // now 1150: ticks 200…1100 (10 of them) fell due while stalled
    await clock.advance(0);
    assert.equal(ticks.length, 3, 'one tick for the whole stall');
    assert.deepEqual(missed, [9]);
    await clock.advance(150); // back on the original schedule: 1200, 1300
    pacer.stop();
    assert.deepEqual(
      ticks.map((at) => at - start),
      [0, 100, 1150, 1200, 1300],
    );
  });

  it('with tickAtStart false the first tick is one interval after start', async () => {
    const { clock, ticks, pacer } = pacerAt(2, false);
    const start = clock.now();
    pacer.start();
    await clock.advance(1000);
    pacer.stop();
    assert.deepEqual(
      ticks.map((at) => at - start),
      [500, 1000],
    );
  });

  it('stop cancels its timer: nothing runs afterwards', async () => {
    const { clock, ticks, pacer } = pacerAt(100);
    pacer.start();
    await clock.advance(50);
    const before = ticks.length;
    pacer.stop();
    assert.equal(clock.pending, 0);
    await clock.advance(1000);
    assert.equal(ticks.length, before);
  });

  it('refuses a rate that is not a positive number', () => {
    for (const rate of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => pacerAt(rate), RangeError, String(rate));
    }
  });
});
