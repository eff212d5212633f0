import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';

import { InstanceScores, type InstanceScore } from './instance-scores.js';
import { DEFAULT_P2C_SETTINGS, parseP2cSettings, type BalancerClock } from './p2c.config.js';

/** A clock moved by hand; chance is never drawn by the scores. */
class StepClock implements BalancerClock {
  time = 1_000;
  now(): number {
    return this.time;
  }
  random(): number {
    return 0.5;
  }
}

function setUp(keys = ['a', 'b', 'c'], settings = {}) {
  const clock = new StepClock();
  const scores = new InstanceScores(parseP2cSettings(settings), clock);
  scores.retain(keys);
  /** One call to `score` that lasts `latencyMs` and ends with `code`. */
  const call = (score: InstanceScore, code: Status, latencyMs = 1) => {
    const startedAt = scores.started(score);
    clock.time += latencyMs;
    scores.ended(score, startedAt, code);
  };
  return { clock, scores, call };
}

describe('p2c instance scores', { timeout: 10_000 }, () => {
  it('a slow instance costs more, and a slow sample counts at once (peak EWMA)', () => {
    const { scores, call } = setUp();
    const [fast, slow] = [scores.get('a'), scores.get('b')];
    for (let index = 0; index < 20; index++) call(fast, Status.OK, 2);
    call(slow, Status.OK, 50);
    assert.equal(slow.latencyMs, 50);
    assert.ok(slow.cost() > 10 * fast.cost(), `slow ${slow.cost()} vs fast ${fast.cost()}`);
  });

  it('a fast sample decays the latency in, by e^(-elapsed/decayMs)', () => {
    const { clock, scores, call } = setUp();
    const score = scores.get('a');
    call(score, Status.OK, 100);
    clock.time += DEFAULT_P2C_SETTINGS.decayMs;
    call(score, Status.OK, 0);
    const expected = 100 * Math.exp(-1);
    assert.ok(Math.abs(score.latencyMs - expected) < 1, `latency ${score.latencyMs}, expected ≈ ${expected}`);
  });

  it('calls in flight raise the cost until they end', () => {
    const { scores } = setUp();
    const score = scores.get('a');
    const idle = score.cost();
    const startedAt = scores.started(score);
    scores.started(score);
    assert.equal(score.cost(), 3 * idle);
    scores.ended(score, startedAt, Status.OK);
    assert.equal(score.inFlight, 1);
  });

  it('application errors and cancellations never count against an instance', () => {
    const { scores, call } = setUp();
    const score = scores.get('a');
    const codes = [Status.NOT_FOUND, Status.FAILED_PRECONDITION, Status.INVALID_ARGUMENT, Status.INTERNAL];
    for (let index = 0; index < 50; index++) call(score, codes[index % codes.length]);
    for (let index = 0; index < 50; index++) call(score, Status.CANCELLED);
    assert.equal(score.successRate, 1);
    assert.equal(score.consecutiveFailures, 0);
    assert.equal(scores.ejectedCount(), 0);
  });

  it('failures lower the success rate and raise the cost; a success resets the streak', () => {
    const { scores, call } = setUp();
    const [healthy, failing] = [scores.get('a'), scores.get('b')];
    call(healthy, Status.OK);
    call(failing, Status.OK);
    for (const code of [Status.UNAVAILABLE, Status.RESOURCE_EXHAUSTED, Status.DEADLINE_EXCEEDED]) {
      call(failing, code);
    }
    assert.equal(failing.consecutiveFailures, 3);
    assert.ok(failing.successRate < 1 && failing.cost() > healthy.cost());
    call(failing, Status.OK);
    assert.equal(failing.consecutiveFailures, 0);
  });

  it('failuresToEject failures in a row eject for baseEjectionMs, doubling up to maxEjectionMs', () => {
    const settings = { failuresToEject: 3, baseEjectionMs: 100, maxEjectionMs: 300 };
    const { clock, scores, call } = setUp(['a', 'b', 'c'], settings);
    const score = scores.get('a');
    const lengths: number[] = [];
    for (let round = 0; round < 4; round++) {
      for (let index = 0; index < 3; index++) call(score, Status.UNAVAILABLE, 0);
      assert.ok(score.isEjected(clock.now()), `ejected in round ${round}`);
      lengths.push(score.ejectedUntil - clock.now());
      clock.time = score.ejectedUntil - 1;
      assert.ok(score.isEjected(clock.now()), 'still ejected 1 ms before the end');
      clock.time += 1;
      scores.readmitIfDue(score, clock.now());
      assert.ok(!score.isEjected(clock.now()), 'readmitted at the end');
      assert.equal(score.successRate, 1);
    }
    assert.deepEqual(lengths, [100, 200, 300, 300]);
    // maxEjectionMs without an ejection: the next one is short again.
    clock.time += 300;
    for (let index = 0; index < 3; index++) call(score, Status.UNAVAILABLE, 0);
    assert.equal(score.ejectedUntil - clock.now(), 100);
  });

  it('never ejects more than a third of the instances: 1 of 3, none of 2', () => {
    const three = setUp(['a', 'b', 'c'], { failuresToEject: 1 });
    for (const key of ['a', 'b', 'c']) three.call(three.scores.get(key), Status.UNAVAILABLE);
    assert.equal(three.scores.ejectedCount(), 1);
    const six = setUp(['a', 'b', 'c', 'd', 'e', 'f'], { failuresToEject: 1 });
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) six.call(six.scores.get(key), Status.UNAVAILABLE);
    assert.equal(six.scores.ejectedCount(), 2);
    const two = setUp(['a', 'b'], { failuresToEject: 1 });
    two.call(two.scores.get('a'), Status.UNAVAILABLE);
    assert.equal(two.scores.ejectedCount(), 0);
  });

  it('forgets the instances no longer resolved, keeps the others', () => {
    const { scores, call } = setUp();
    call(scores.get('a'), Status.OK, 40);
    scores.retain(['a', 'd']);
    assert.equal(scores.get('a').latencyMs, 40);
    const three = setUp(['a', 'b', 'c'], { failuresToEject: 1 });
    three.scores.retain(['a', 'b']);
    three.call(three.scores.get('a'), Status.UNAVAILABLE);
    assert.equal(three.scores.ejectedCount(), 0, 'two instances left: none may be ejected');
  });
});

describe('p2c settings', () => {
  it('fills the defaults and refuses bad values with InvalidGrpcOptionsError', () => {
    assert.deepEqual(parseP2cSettings(undefined), DEFAULT_P2C_SETTINGS);
    assert.equal(parseP2cSettings({ decayMs: 500 }).decayMs, 500);
    const bad = [
      { decayMs: '1s' },
      { decayMs: 0 },
      { failuresToEject: 1.5 },
      { maxEjectedShare: 0.5 },
      { baseEjectionMs: 2000, maxEjectionMs: 1000 },
      { decay: 1 },
      'p2c',
    ];
    for (const raw of bad) {
      assert.throws(() => parseP2cSettings(raw), {
        code: 'INVALID_OPTIONS',
        message: /^grpc: option "nestmesh_p2c/,
      });
    }
  });
});
