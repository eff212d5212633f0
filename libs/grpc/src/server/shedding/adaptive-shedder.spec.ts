import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventLoopUtilization } from 'node:perf_hooks';

import { AdaptiveShedder } from './adaptive-shedder.js';
import { EventLoopUtilizationWindow } from './event-loop-load.js';
import { DEFAULT_ADAPTIVE_SHEDDING } from './shedding.options.js';
import { ThroughputWindow } from './throughput-window.js';

/** A clock the test moves by hand. */
class ManualClock {
  constructor(public nowMs = 10_000) {}
  now(): number {
    return this.nowMs;
  }
}

/** 100 ms buckets over 1 s. */
function windowOf(clock: ManualClock): ThroughputWindow {
  return new ThroughputWindow(1000, 10, clock);
}

describe('ThroughputWindow (BBR limit = best throughput × lowest latency)', { timeout: 10_000 }, () => {
  it('has no limit until a bucket with calls has finished', () => {
    const clock = new ManualClock();
    const window = windowOf(clock);
    assert.equal(window.limit(), undefined);
    for (let call = 0; call < 10; call++) window.record(20);
    assert.equal(window.limit(), undefined, 'the bucket being filled does not count');
    clock.nowMs += 100;
    // 10 calls in 100 ms = 0.1 call/ms, × 20 ms = 2 calls in flight without queueing.
    assert.equal(window.limit(), 2);
  });

  it('takes the busiest bucket and the fastest call, even from different buckets', () => {
    const clock = new ManualClock();
    const window = windowOf(clock);
    for (let call = 0; call < 40; call++) window.record(30);
    clock.nowMs += 100;
    for (let call = 0; call < 5; call++) window.record(10);
    clock.nowMs += 100;
    // 40 per 100 ms × 10 ms = 4.
    assert.equal(window.limit(), 4);
  });

  it('forgets buckets older than the window, and is never below 1', () => {
    const clock = new ManualClock();
    const window = windowOf(clock);
    for (let call = 0; call < 40; call++) window.record(30);
    clock.nowMs += 950;
    window.record(0.01);
    clock.nowMs += 100;
    // The 40-call bucket is over 1 s old: one call of 0.01 ms in 100 ms rounds up to 1.
    assert.equal(window.limit(), 1);
    clock.nowMs += 1000;
    assert.equal(window.limit(), undefined);
  });
});

/** The adaptive shedder with 100 ms buckets over 10 s, the loop's utilisation set by the test. */
function shedderOf(clock: ManualClock, load: { value: number }): AdaptiveShedder {
  return new AdaptiveShedder(
    {
      ...DEFAULT_ADAPTIVE_SHEDDING,
      windowMs: 10_000,
      buckets: 100,
      coolDownMs: 1000,
      eventLoop: { utilization: () => load.value },
    },
    clock,
  );
}

/** Teaches the shedder a limit of 2: 10 calls of 20 ms in one finished bucket. */
function learnLimitOfTwo(shedder: AdaptiveShedder, clock: ManualClock): void {
  for (let call = 0; call < 10; call++) {
    shedder.start();
    shedder.end(20);
  }
  clock.nowMs += 100;
}

describe('AdaptiveShedder', { timeout: 10_000 }, () => {
  it('sheds only when the loop is saturated and the calls in flight reach the limit', () => {
    const clock = new ManualClock();
    const load = { value: 0.5 };
    const shedder = shedderOf(clock, load);
    learnLimitOfTwo(shedder, clock);
    for (let call = 0; call < 5; call++) shedder.start();
    assert.equal(shedder.check(), undefined, 'many calls in flight on an idle loop are waiting on I/O');
    load.value = 0.95;
    assert.deepEqual(shedder.check(), { utilization: 0.95, inFlight: 5, limit: 2, coolingDown: false });
    for (let call = 0; call < 4; call++) shedder.end(undefined);
    assert.equal(shedder.check(), undefined, 'one call in flight is below the limit of 2');
  });

  it('never sheds before it has measured anything', () => {
    const shedder = shedderOf(new ManualClock(), { value: 1 });
    for (let call = 0; call < 100; call++) shedder.start();
    assert.equal(shedder.check(), undefined);
  });

  it('keeps shedding above the limit for coolDownMs after a shed, then follows the loop again', () => {
    const clock = new ManualClock();
    const load = { value: 1 };
    const shedder = shedderOf(clock, load);
    learnLimitOfTwo(shedder, clock);
    for (let call = 0; call < 3; call++) shedder.start();
    assert.ok(shedder.check(), 'saturated and at the limit');
    load.value = 0.1;
    clock.nowMs += 999;
    assert.equal(
      shedder.check()?.coolingDown,
      true,
      'within the cool-down, the idle reading does not let the flood back in',
    );
    clock.nowMs += 999;
    assert.ok(shedder.check(), 'each shed restarts the cool-down');
    clock.nowMs += 1000;
    assert.equal(shedder.check(), undefined, 'cooled down: the loop is idle');
  });
});

/** Cumulative readings as performance.eventLoopUtilization() gives them. */
function reading(activeMs: number, idleMs: number): EventLoopUtilization {
  return { active: activeMs, idle: idleMs, utilization: activeMs / (activeMs + idleMs) };
}

describe('EventLoopUtilizationWindow', { timeout: 10_000 }, () => {
  it('averages the readings over the window, from construction, sampling at most every 250 ms', () => {
    const clock = new ManualClock(0);
    const readings = [reading(1000, 1000)];
    const source = new EventLoopUtilizationWindow(1000, clock, () => readings.at(-1)!);
    clock.nowMs = 500;
    readings.push(reading(1000 + 450, 1000 + 50));
    assert.equal(source.utilization(), 0.9, 'the startup before construction is not counted');
    readings.push(reading(1000 + 500, 1000 + 50));
    clock.nowMs = 600;
    assert.equal(source.utilization(), 0.9, 'no new sample within 250 ms of the last');
    clock.nowMs = 1600;
    readings.push(reading(1000 + 450 + 100, 1000 + 50 + 1000));
    // Base: the newest snapshot at least 1 s old (t=500): 100 active of 1100.
    assert.equal(source.utilization(), 100 / 1100);
  });
});
