import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { ManualClock } from '@nestmesh/testing';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import { AdaptiveThrottle, BreakerWindow, rejectionProbability } from './adaptive-throttle.js';
import {
  circuitBreakerSettings,
  DEFAULT_CIRCUIT_BREAKER,
  SYSTEM_BREAKER_CLOCK,
  type CircuitBreakerOptions,
} from './circuit-breaker.config.js';

/** A throttle on a manual clock whose draws are whatever `draw.value` holds when asked. */
function throttleOf(options: CircuitBreakerOptions = {}) {
  const clock = new ManualClock();
  const draw = { value: 0, count: 0 };
  const random = () => {
    draw.count++;
    return draw.value;
  };
  const settings = circuitBreakerSettings({ ...options, clock: { now: () => clock.now(), random } });
  assert.ok(settings);
  return { throttle: new AdaptiveThrottle(settings), clock, draw };
}

function settleMany(throttle: AdaptiveThrottle, code: Status, count: number): void {
  for (let index = 0; index < count; index++) throttle.settle(code);
}

describe('breaker window', { timeout: 10_000 }, () => {
  it('counts requests and accepts over the window and forgets a bucket once it is a window old', () => {
    const clock = new ManualClock();
    const window = new BreakerWindow(10_000, 10, clock.now());
    window.record(clock.now(), true);
    window.record(clock.now(), false);
    clock.stall(4_000);
    window.record(clock.now(), true);
    assert.deepEqual([window.requests(clock.now()), window.accepts(clock.now())], [3, 2]);
    clock.stall(5_999); // the first bucket [1 000, 2 000) is still within the window ending now
    assert.equal(window.requests(clock.now()), 3);
    clock.stall(1_001); // now it is not: only the call of 4 000 ms later is left
    assert.deepEqual([window.requests(clock.now()), window.accepts(clock.now())], [1, 1]);
    clock.stall(10_000);
    assert.deepEqual([window.requests(clock.now()), window.accepts(clock.now())], [0, 0]);
  });

  it('forgets everything after a jump of many windows, and keeps counting afterwards', () => {
    const clock = new ManualClock();
    const window = new BreakerWindow(1_000, 4, clock.now());
    for (let index = 0; index < 50; index++) window.record(clock.now(), index % 2 === 0);
    clock.stall(1_000_000);
    assert.equal(window.requests(clock.now()), 0);
    window.record(clock.now(), false);
    assert.deepEqual([window.requests(clock.now()), window.accepts(clock.now())], [1, 0]);
  });
});

describe('rejection probability (SRE client-side throttling)', { timeout: 10_000 }, () => {
  it('is max(0, (requests − K × accepts) / (requests + 1)) from minRequests on', () => {
    assert.equal(rejectionProbability(19, 0, 2, 20), 0, 'below minRequests');
    assert.equal(rejectionProbability(20, 0, 2, 20), 20 / 21);
    assert.equal(rejectionProbability(100, 30, 2, 20), 40 / 101);
    assert.equal(rejectionProbability(100, 50, 2, 20), 0, 'half accepted with K 2: nothing rejected');
    assert.equal(rejectionProbability(100, 90, 2, 20), 0);
    assert.equal(rejectionProbability(100, 30, 1.5, 20), 55 / 101);
    assert.ok(rejectionProbability(1_000_000, 0, 2, 20) < 1, 'never certain');
  });
});

describe('adaptive throttle', { timeout: 10_000 }, () => {
  it('never rejects below minRequests, however many of them failed', () => {
    const { throttle, draw } = throttleOf({ minRequests: 20 });
    settleMany(throttle, Status.UNAVAILABLE, 19);
    assert.equal(throttle.probability(), 0);
    assert.equal(throttle.admit(), undefined);
    assert.equal(draw.count, 0, 'no draw while nothing can be rejected');
    throttle.settle(Status.UNAVAILABLE);
    assert.equal(throttle.probability(), 20 / 21);
  });

  it('rejects exactly when the draw falls below the probability, and counts a rejection as a request', () => {
    const { throttle, draw } = throttleOf({ minRequests: 10, k: 2 });
    settleMany(throttle, Status.OK, 10);
    settleMany(throttle, Status.UNAVAILABLE, 30); // 40 requests, 10 accepted
    const probability = (40 - 2 * 10) / 41;
    assert.equal(throttle.probability(), probability);
    draw.value = probability; // not below: let through
    assert.equal(throttle.admit(), undefined);
    assert.equal(throttle.probability(), probability, 'a call let through counts at its status, not before');
    draw.value = probability - 1e-9;
    const rejection = throttle.admit();
    assert.deepEqual(rejection, { probability, requests: 41, accepts: 10 });
    assert.equal(throttle.probability(), (41 - 20) / 42, 'the rejected call is a request not accepted');
  });

  it('recovers as accepts come back, and forgets failures a window old', () => {
    const { throttle, clock } = throttleOf({ minRequests: 20, k: 2, windowMs: 10_000, buckets: 10 });
    settleMany(throttle, Status.UNAVAILABLE, 100);
    const tripped = throttle.probability();
    assert.ok(tripped > 0.99, `all failed: ${tripped}`);
    settleMany(throttle, Status.OK, 50); // 150 requests, 50 accepted
    assert.equal(throttle.probability(), 50 / 151);
    settleMany(throttle, Status.OK, 50); // 200 requests, 100 accepted: K × accepts covers them
    assert.equal(throttle.probability(), 0);

    settleMany(throttle, Status.DEADLINE_EXCEEDED, 300);
    assert.ok(throttle.probability() > 0);
    clock.stall(10_000);
    assert.equal(throttle.probability(), 0, 'a window later nothing is left of the outage');
  });

  it('never trips on application errors, INTERNAL or UNKNOWN; ignores CANCELLED', () => {
    const { throttle, draw } = throttleOf({ minRequests: 5 });
    draw.value = 0; // any probability above 0 would reject
    const answers = [
      Status.NOT_FOUND,
      Status.FAILED_PRECONDITION,
      Status.INVALID_ARGUMENT,
      Status.ALREADY_EXISTS,
      Status.PERMISSION_DENIED,
      Status.UNAUTHENTICATED,
      Status.ABORTED,
      Status.OUT_OF_RANGE,
      Status.UNIMPLEMENTED,
      Status.INTERNAL,
      Status.UNKNOWN,
      Status.DATA_LOSS,
    ];
    for (const code of answers) settleMany(throttle, code, 100);
    assert.equal(throttle.probability(), 0);
    assert.equal(throttle.admit(), undefined);
    settleMany(throttle, Status.CANCELLED, 100_000);
    assert.equal(throttle.probability(), 0, 'cancelled calls are not requests');
  });

  it('counts UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED as not accepted', () => {
    for (const code of [Status.UNAVAILABLE, Status.DEADLINE_EXCEEDED, Status.RESOURCE_EXHAUSTED]) {
      const { throttle } = throttleOf({ minRequests: 20 });
      settleMany(throttle, code, 20);
      assert.equal(throttle.probability(), 20 / 21, Status[code]);
    }
  });

  it('keeps rejecting while every call is rejected, yet lets a trickle through', () => {
    const { throttle, draw } = throttleOf({ minRequests: 20 });
    settleMany(throttle, Status.UNAVAILABLE, 20);
    let admitted = 0;
    // A fixed sequence of draws spread over [0, 1): the share let through is 1 − p at most.
    for (let index = 0; index < 1_000; index++) {
      draw.value = (index * 0.618_033_988_75) % 1;
      if (throttle.admit() === undefined) {
        admitted++;
        throttle.settle(Status.UNAVAILABLE);
      }
    }
    assert.ok(admitted > 0 && admitted < 30, `let through: ${admitted} of 1000`);
  });

  it('lets a probe out when no call has gone out for probeIntervalMs, then rejects again', () => {
    const probeIntervalMs = 1_000;
    const { throttle, clock, draw } = throttleOf({ minRequests: 20, probeIntervalMs });
    settleMany(throttle, Status.UNAVAILABLE, 100);
    draw.value = 0; // every draw rejects
    assert.ok(throttle.admit(), 'no call has gone out since the throttle began: rejected');
    clock.stall(probeIntervalMs - 1);
    assert.ok(throttle.admit(), 'just under the interval since the throttle began: rejected');
    clock.stall(1);
    assert.equal(throttle.admit(), undefined, 'the interval is up: a probe');
    assert.ok(throttle.admit(), 'the probe just went out: rejected');
    clock.stall(probeIntervalMs / 2);
    assert.ok(throttle.admit(), 'half an interval after the probe: rejected');
    draw.value = 0.999_999; // a call the draw lets out restarts the interval too
    assert.equal(throttle.admit(), undefined);
    draw.value = 0;
    clock.stall(probeIntervalMs - 1);
    assert.ok(throttle.admit(), 'under an interval after the call the draw let out: rejected');
    clock.stall(1);
    assert.equal(throttle.admit(), undefined, 'a probe');
  });

  it('probes at most once per interval however many calls come, and the probes end the outage', () => {
    const windowMs = 10_000;
    const probeIntervalMs = 1_000;
    const { throttle, clock, draw } = throttleOf({ minRequests: 20, windowMs, probeIntervalMs });
    settleMany(throttle, Status.UNAVAILABLE, 200);
    draw.value = 0; // only probes go out
    // 100 calls a second for two windows, the service back: only the probes reach it, and each
    // is accepted; the throttle rejects fewer as the outage leaves the window.
    let probes = 0;
    for (let step = 0; step < 200; step++) {
      clock.stall(probeIntervalMs / 10);
      for (let call = 0; call < 10; call++) {
        if (throttle.admit() === undefined) {
          probes++;
          throttle.settle(Status.OK);
        }
      }
    }
    assert.equal(probes, 20, '20 s of calls: one probe a second, no more');
    // The window holds only rejections and the probes, all accepted: K × ~10 accepts is what
    // lets the draws (real ones, not these) start the slow start; without probes it is 0.
    const rejection = throttle.admit();
    assert.ok(rejection);
    const perWindow = windowMs / probeIntervalMs;
    assert.ok(
      Math.abs(rejection.accepts - perWindow) <= 1,
      `accepts in the window: ${rejection.accepts}, about ${perWindow}`,
    );
  });
});

describe('circuit breaker options', { timeout: 10_000 }, () => {
  it('defaults to K 2, a 10 s window of ten buckets, 20 requests and a probe a second; false turns it off', () => {
    assert.deepEqual(circuitBreakerSettings(undefined), {
      ...DEFAULT_CIRCUIT_BREAKER,
      clock: SYSTEM_BREAKER_CLOCK,
    });
    assert.deepEqual(DEFAULT_CIRCUIT_BREAKER, {
      k: 2,
      windowMs: 10_000,
      buckets: 10,
      minRequests: 20,
      probeIntervalMs: 1_000,
    });
    assert.equal(
      circuitBreakerSettings({ probeIntervalMs: Number.POSITIVE_INFINITY })?.probeIntervalMs,
      Number.POSITIVE_INFINITY,
      'Infinity: no probes',
    );
    assert.equal(circuitBreakerSettings(false), undefined);
    assert.equal(circuitBreakerSettings({ k: 1.5 })?.k, 1.5);
  });

  it('refuses values that cannot work, naming the field', () => {
    const refused: [unknown, string][] = [
      [true, 'circuitBreaker'],
      [null, 'circuitBreaker'],
      ['on', 'circuitBreaker'],
      [{ k: 0.5 }, 'circuitBreaker.k'],
      [{ k: Number.NaN }, 'circuitBreaker.k'],
      [{ windowMs: 0 }, 'circuitBreaker.windowMs'],
      [{ windowMs: '10s' }, 'circuitBreaker.windowMs'],
      [{ buckets: 2.5 }, 'circuitBreaker.buckets'],
      [{ buckets: 0 }, 'circuitBreaker.buckets'],
      [{ windowMs: 5, buckets: 10 }, 'circuitBreaker.buckets'],
      [{ minRequests: -1 }, 'circuitBreaker.minRequests'],
      [{ probeIntervalMs: 0 }, 'circuitBreaker.probeIntervalMs'],
      [{ probeIntervalMs: -5 }, 'circuitBreaker.probeIntervalMs'],
      [{ probeIntervalMs: Number.NaN }, 'circuitBreaker.probeIntervalMs'],
      [{ probeIntervalMs: '1s' }, 'circuitBreaker.probeIntervalMs'],
      [{ minimumRequests: 5 }, 'circuitBreaker.minimumRequests'],
      [{ clock: { now: () => 0 } }, 'circuitBreaker.clock'],
    ];
    for (const [option, field] of refused) {
      assert.throws(
        () => circuitBreakerSettings(option),
        (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === field,
        JSON.stringify(option),
      );
    }
  });
});
