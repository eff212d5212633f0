import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import {
  DEFAULT_ADAPTIVE_SHEDDING,
  DEFAULT_DEADLINE_CHECK,
  resolveShedding,
  validateShedding,
  type SheddingOptions,
} from './shedding.options.js';
import { UsualLatency } from './usual-latency.js';

describe('UsualLatency (the deadline check)', { timeout: 10_000 }, () => {
  it('is unknown until minSamples successful calls, then the quantile of the recent ones', () => {
    const usual = new UsualLatency({ minSamples: 5, quantile: 0.2, samples: 10 });
    for (const ms of [50, 10, 40, 30]) usual.record(ms);
    assert.equal(usual.usualMs(), undefined);
    usual.record(20);
    // Sorted 10 20 30 40 50: index floor(0.2 × 5) = 1.
    assert.equal(usual.usualMs(), 20);
  });

  it('keeps only the last `samples` durations', () => {
    const usual = new UsualLatency({ minSamples: 1, quantile: 0, samples: 3 });
    for (const ms of [1, 2, 3, 100, 200, 300]) usual.record(ms);
    assert.equal(usual.usualMs(), 100, 'the fastest of the last three');
    usual.record(5);
    assert.equal(usual.usualMs(), 5);
    assert.equal(new UsualLatency({ minSamples: 1, quantile: 1, samples: 3 }).usualMs(), undefined);
  });

  it('agrees with sorting the last samples, whatever the order and repeats', () => {
    const settings = { minSamples: 1, quantile: 0.1, samples: 50 };
    const usual = new UsualLatency(settings);
    const recent: number[] = [];
    let seed = 7;
    for (let call = 0; call < 2000; call++) {
      seed = (seed * 48271) % 2147483647;
      const durationMs = seed % 40; // many repeats
      usual.record(durationMs);
      recent.push(durationMs);
      if (recent.length > settings.samples) recent.shift();
      const sorted = [...recent].sort((a, b) => a - b);
      assert.equal(
        usual.usualMs(),
        sorted[Math.floor(settings.quantile * sorted.length)],
        `after ${call + 1} calls`,
      );
    }
  });
});

describe('shedding options', { timeout: 10_000 }, () => {
  it('defaults to the deadline check alone; false turns everything off', () => {
    const resolved = resolveShedding(undefined);
    assert.equal(resolved?.maxConcurrentCalls, Infinity);
    assert.equal(resolved?.countStreams, false);
    assert.equal(resolved?.adaptive, undefined);
    assert.deepEqual(resolved?.deadlineCheck, DEFAULT_DEADLINE_CHECK);
    assert.equal(resolveShedding(false), undefined);
    assert.equal(resolveShedding({ deadlineCheck: false }), undefined, 'nothing left to check');
  });

  it('fills in the defaults of what is turned on, keeping what is given', () => {
    const resolved = resolveShedding({
      maxConcurrentCalls: 8,
      adaptive: { coolDownMs: 0, windowMs: undefined },
      deadlineCheck: { minSamples: 3 },
    });
    assert.equal(resolved?.maxConcurrentCalls, 8);
    assert.deepEqual(resolved?.adaptive, { ...DEFAULT_ADAPTIVE_SHEDDING, coolDownMs: 0 });
    assert.deepEqual(resolved?.deadlineCheck, { ...DEFAULT_DEADLINE_CHECK, minSamples: 3 });
    assert.deepEqual(resolveShedding({ adaptive: true })?.adaptive, DEFAULT_ADAPTIVE_SHEDDING);
  });

  const invalid: [string, unknown][] = [
    ['shedding', 'on'],
    ['shedding', { maxConcurrent: 3 }],
    ['shedding.maxConcurrentCalls', { maxConcurrentCalls: 0 }],
    ['shedding.maxConcurrentCalls', { maxConcurrentCalls: 2.5 }],
    ['shedding.countStreams', { countStreams: 'yes' }],
    ['shedding.clock', { clock: {} }],
    ['shedding.adaptive', { adaptive: 'auto' }],
    ['shedding.adaptive.utilizationThreshold', { adaptive: { utilizationThreshold: 0 } }],
    ['shedding.adaptive.utilizationThreshold', { adaptive: { utilizationThreshold: 90 } }],
    ['shedding.adaptive.windowMs', { adaptive: { windowMs: -1 } }],
    ['shedding.adaptive.pushbackMs', { adaptive: { pushbackMs: -1 } }],
    ['shedding.adaptive.buckets', { adaptive: { buckets: 1 } }],
    ['shedding.adaptive.buckets', { adaptive: { windowMs: 10, buckets: 20 } }],
    ['shedding.adaptive.eventLoop', { adaptive: { eventLoop: 0.5 } }],
    ['shedding.deadlineCheck.quantile', { deadlineCheck: { quantile: 1.5 } }],
    ['shedding.deadlineCheck.minSamples', { deadlineCheck: { minSamples: 200 } }],
    ['shedding.deadlineCheck.samples', { deadlineCheck: { samples: 0 } }],
  ];
  for (const [option, value] of invalid) {
    it(`refuses ${JSON.stringify(value)}, naming ${option}`, () => {
      assert.throws(
        () => validateShedding(value),
        (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === option,
      );
    });
  }

  it('accepts false, nothing, and every documented setting', () => {
    const every: SheddingOptions = {
      maxConcurrentCalls: 100,
      countStreams: true,
      adaptive: { ...DEFAULT_ADAPTIVE_SHEDDING, eventLoop: { utilization: () => 0 } },
      deadlineCheck: { ...DEFAULT_DEADLINE_CHECK },
      clock: performance,
    };
    for (const options of [undefined, false, {}, every, { adaptive: false, deadlineCheck: true }]) {
      validateShedding(options);
    }
  });
});
