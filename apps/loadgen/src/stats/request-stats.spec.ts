import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { percentile, RequestStats } from './request-stats.js';
import { formatSummary } from './summary.js';

describe('RequestStats', { timeout: 10_000 }, () => {
  it('counts outcomes per interval, keeps totals across intervals', () => {
    const stats = new RequestStats();
    stats.record({ result: 'ok' }, 10);
    stats.record({ result: 'failed', reason: '409' }, 5);
    stats.record({ result: 'failed', reason: '409' }, 6);
    stats.record({ result: 'timeout' }, 3000);
    stats.shed();
    stats.missed(4);
    const first = stats.takeInterval();
    assert.equal(first.ok, 1);
    assert.deepEqual([...first.failed], [['409', 2]]);
    assert.equal(first.timedOut, 1);
    assert.equal(first.shed, 1);
    assert.equal(first.missed, 4);
    // Latency of the requests that were answered; a timeout's would only say "the timeout".
    assert.equal(first.p50Ms, 6);
    assert.equal(first.p99Ms, 10);

    stats.record({ result: 'ok' }, 1);
    const second = stats.takeInterval();
    assert.equal(second.ok, 1);
    assert.equal(second.failed.size, 0);
    assert.equal(second.p50Ms, 1);

    stats.record({ result: 'failed', reason: 'UNAVAILABLE' }, 1);
    const total = stats.total();
    assert.equal(total.ok, 2);
    assert.deepEqual(
      [...total.failed],
      [
        ['409', 2],
        ['UNAVAILABLE', 1],
      ],
    );
    assert.equal(total.timedOut, 1);
    assert.equal(total.shed, 1);
    assert.equal(total.missed, 4);
  });

  it('an interval without answers has no percentiles', () => {
    const interval = new RequestStats().takeInterval();
    assert.equal(interval.p50Ms, undefined);
    assert.match(formatSummary('interval', 5000, [['order', interval]]), /p50=- p99=-/);
  });

  it('percentiles are nearest-rank', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    assert.equal(percentile(sorted, 0.5), 50);
    assert.equal(percentile(sorted, 0.99), 99);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([], 0.5), undefined);
  });

  it('formats one line per report, failures by reason', () => {
    const stats = new RequestStats();
    stats.record({ result: 'ok' }, 2.25);
    stats.record({ result: 'failed', reason: '503' }, 150.4);
    assert.equal(
      formatSummary('interval', 5000, [['order', stats.takeInterval()]]),
      'loadgen interval 5.0s | order ok=1 failed=1(503=1) timeout=0 shed=0 missed=0 p50=2.3ms p99=150ms',
    );
    assert.equal(
      formatSummary('total', 12_345, [['stock-grpc', stats.total()]]),
      'loadgen total 12.3s | stock-grpc ok=1 failed=1(503=1) timeout=0 shed=0 missed=0',
    );
  });
});
