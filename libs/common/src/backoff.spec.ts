import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Backoff, jittered } from './backoff.js';

describe('Backoff', () => {
  it('doubles from initialMs up to maxMs, then stays there', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 50, jitter: 0 });
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => backoff.next()),
      [10, 20, 40, 50, 50],
    );
    backoff.reset();
    assert.equal(backoff.next(), 10);
  });

  it('takes up to `jitter` of each delay off', () => {
    assert.equal(new Backoff({ initialMs: 100, maxMs: 100, random: () => 0 }).next(), 100);
    assert.equal(new Backoff({ initialMs: 100, maxMs: 100, random: () => 0.999999 }).next() > 50, true);
    assert.equal(new Backoff({ initialMs: 100, maxMs: 100, jitter: 0.2, random: () => 0.5 }).next(), 90);
  });

  it('refuses nonsense bounds', () => {
    assert.throws(() => new Backoff({ initialMs: 0, maxMs: 10 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 20, maxMs: 10 }), RangeError);
  });
});

describe('jittered', () => {
  it('spreads ± fraction around the value', () => {
    assert.equal(
      jittered(100, 0.2, () => 0),
      80,
    );
    assert.equal(
      jittered(100, 0.2, () => 0.5),
      100,
    );
    assert.ok(jittered(100, 0.2, () => 0.999999) < 120);
  });
});
