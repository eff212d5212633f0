import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { experimental, Metadata, status as Status } from '@grpc/grpc-js';

import { RetryBudget } from '../retries/retry-budget.js';
import { InstanceScores } from './instance-scores.js';
import { parseP2cSettings, type BalancerClock } from './p2c.config.js';
import { P2cPicker, type ReadyInstance } from './p2c.picker.js';

/** A clock moved by hand, and chance from a fixed seed (the same draws every run). */
class SeededClock implements BalancerClock {
  time = 1_000;
  private state = 42;
  now(): number {
    return this.time;
  }
  random(): number {
    this.state = (this.state * 1_103_515_245 + 12_345) % 2 ** 31;
    return this.state / 2 ** 31;
  }
}

/** A leaf picker that always completes with `name` as its subchannel stand-in. */
function leaf(name: string): experimental.Picker {
  const subchannel = { name } as unknown as experimental.SubchannelInterface;
  return {
    pick: () => ({
      pickResultType: experimental.PickResultType.COMPLETE,
      subchannel,
      status: null,
      onCallStarted: null,
      onCallEnded: null,
    }),
  };
}

function setUp(names: string[], settings = {}) {
  const clock = new SeededClock();
  const scores = new InstanceScores(parseP2cSettings(settings), clock);
  scores.retain(names);
  const instances: ReadyInstance[] = names.map((name) => ({ score: scores.get(name), picker: leaf(name) }));
  const picker = new P2cPicker(instances, scores);
  const args = { metadata: new Metadata(), extraPickInfo: {} };
  /** One call through the picker lasting `latencyMs` on the clock; the instance it went to. */
  const call = (latencyOf: (name: string) => number, code = Status.OK): string => {
    const result = picker.pick(args);
    const name = (result.subchannel as unknown as { name: string }).name;
    result.onCallStarted?.();
    clock.time += latencyOf(name);
    result.onCallEnded?.(code, '', new Metadata());
    return name;
  };
  return { clock, scores, call };
}

function count(names: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

describe('p2c picker', { timeout: 10_000 }, () => {
  it('sends the slow instance little more than its probes', () => {
    const { call } = setUp(['a', 'slow', 'c']);
    const latency = (name: string) => (name === 'slow' ? 50 : 1);
    const picks = count(Array.from({ length: 1_000 }, () => call(latency)));
    // 1 000 calls of about 1 ms: about a second, so one or two probes of the slow one.
    assert.ok((picks.get('slow') ?? 0) <= 10, `picks: ${JSON.stringify([...picks])}`);
  });

  it('never picks an ejected instance while others are ready, and picks it again after', () => {
    const { clock, scores, call } = setUp(['a', 'b', 'c'], { failuresToEject: 1, baseEjectionMs: 100 });
    scores.ended(scores.get('b'), scores.started(scores.get('b')), Status.UNAVAILABLE);
    assert.ok(scores.get('b').isEjected(clock.now()));
    const during = Array.from({ length: 200 }, () => call(() => 0));
    assert.ok(!during.includes('b'));
    clock.time += 100;
    // Readmitted, it is probed at its first draw (once a draw includes it, 2 in 3 per pick).
    assert.ok(Array.from({ length: 10 }, () => call(() => 0)).includes('b'), 'readmitted');
  });

  it('draws among all ready instances when every one is ejected', () => {
    const { clock, scores, call } = setUp(['a'], { failuresToEject: 1, maxEjectedShare: 1 / 3 });
    scores.get('a').ejectedUntil = clock.now() + 1_000;
    assert.equal(
      call(() => 0),
      'a',
    );
  });

  it('counts a call in flight from its start to its end', () => {
    const { scores } = setUp(['a', 'b']);
    const picker = new P2cPicker([{ score: scores.get('a'), picker: leaf('a') }], scores);
    const result = picker.pick({ metadata: new Metadata(), extraPickInfo: {} });
    result.onCallStarted?.();
    assert.equal(scores.get('a').inFlight, 1);
    result.onCallEnded?.(Status.OK, '', new Metadata());
    assert.equal(scores.get('a').inFlight, 0);
  });

  /** Pick arguments of a call's first attempt, or of its attempt number `previous` + 1. */
  function attempt(previous = 0): experimental.PickArgs {
    const metadata = new Metadata();
    if (previous > 0) metadata.set('grpc-previous-rpc-attempts', String(previous));
    return { metadata, extraPickInfo: {} };
  }

  function pickedName(result: experimental.PickResult): string {
    return (result.subchannel as unknown as { name: string }).name;
  }

  it('sends a later attempt elsewhere than the instance whose last call failed, and to the least busy', () => {
    const { clock, scores } = setUp(['a', 'b', 'c']);
    // a is the cheapest, but its last call failed: a retry goes to b or c; c is busier.
    scores.get('b').latencyMs = 20;
    scores.get('c').latencyMs = 1;
    scores.ended(scores.get('a'), scores.started(scores.get('a')), Status.UNAVAILABLE);
    scores.started(scores.get('c'));
    const instances = ['a', 'b', 'c'].map((name) => ({ score: scores.get(name), picker: leaf(name) }));
    const picker = new P2cPicker(instances, scores);
    for (let retry = 0; retry < 20; retry++) assert.equal(pickedName(picker.pick(attempt(1))), 'b');
    // A first attempt still weighs cost alone, and the failure is forgotten after decayMs.
    clock.time += scores.settings.decayMs;
    scores.ended(scores.get('c'), clock.now(), Status.OK);
    const later = Array.from({ length: 20 }, () => pickedName(picker.pick(attempt(1))));
    assert.ok(later.includes('a'), `picks: ${later.join()}`);
  });

  it('a later attempt avoids an instance that failed lately even if it answered a call since', () => {
    const { scores } = setUp(['a', 'b']);
    // a fails a third of its calls: it failed one, then answered one. b is busier.
    scores.ended(scores.get('a'), scores.started(scores.get('a')), Status.UNAVAILABLE);
    scores.ended(scores.get('a'), scores.started(scores.get('a')), Status.OK);
    scores.started(scores.get('b'));
    const instances = ['a', 'b'].map((name) => ({ score: scores.get(name), picker: leaf(name) }));
    const picker = new P2cPicker(instances, scores);
    for (let retry = 0; retry < 20; retry++) assert.equal(pickedName(picker.pick(attempt(1))), 'b');
  });

  it('refuses later attempts beyond the budget as UNAVAILABLE (never a DROP), never a first attempt', () => {
    const { clock, scores } = setUp(['a', 'b']);
    const budget = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1_000 }, () =>
      clock.now(),
    );
    const instances = ['a', 'b'].map((name) => ({ score: scores.get(name), picker: leaf(name) }));
    const picker = new P2cPicker(instances, scores, budget);
    assert.equal(picker.pick(attempt(1)).pickResultType, experimental.PickResultType.TRANSIENT_FAILURE);
    for (let call = 0; call < 4; call++) {
      const result = picker.pick(attempt());
      assert.equal(result.pickResultType, experimental.PickResultType.COMPLETE);
      result.onCallStarted?.();
    }
    // Four first attempts sent: two later ones allowed, the third refused.
    const later = [1, 2, 1].map((previous) => picker.pick(attempt(previous)));
    assert.deepEqual(
      later.map((result) => result.pickResultType),
      [
        experimental.PickResultType.COMPLETE,
        experimental.PickResultType.COMPLETE,
        experimental.PickResultType.TRANSIENT_FAILURE,
      ],
    );
    assert.equal(later[2].status?.code, Status.UNAVAILABLE);
  });
});
