import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parsePrometheusText } from '../prometheus/prometheus-text.js';
import { quantileMs, RedTracker } from './red-tracker.js';

const RESERVE = 'inventory.v1.InventoryService/ReserveStock';
const BOUNDS = ['0.005', '0.01', '0.025', '0.1', '+Inf'];

/** A histogram series as the OpenTelemetry Prometheus exporter writes it. */
function series(family: string, labels: string, cumulative: number[]): string {
  const buckets = BOUNDS.map(
    (le, index) =>
      `${family}_bucket{${labels},otel_scope_name="@nestmesh/grpc",le="${le}"} ${cumulative[index]}`,
  );
  return [
    ...buckets,
    `${family}_sum{${labels},otel_scope_name="@nestmesh/grpc"} 0.1`,
    `${family}_count{${labels},otel_scope_name="@nestmesh/grpc"} ${cumulative.at(-1)}`,
  ].join('\n');
}

const ok = (cumulative: number[]) =>
  series(
    'rpc_server_call_duration_seconds',
    `rpc_method="${RESERVE}",rpc_status_code="OK",rpc_system_name="grpc"`,
    cumulative,
  );
const failed = (cumulative: number[]) =>
  series(
    'rpc_server_call_duration_seconds',
    `error_type="UNAVAILABLE",rpc_method="${RESERVE}",rpc_status_code="UNAVAILABLE",rpc_system_name="grpc"`,
    cumulative,
  );
const client = (cumulative: number[]) =>
  series('rpc_client_call_duration_seconds', `rpc_method="${RESERVE}",rpc_status_code="OK"`, cumulative);

function scrape(source: string, ...parts: string[]) {
  return {
    source,
    service: 'inventory',
    samples: parsePrometheusText(`# TYPE x histogram\n${parts.join('\n')}\n`),
  };
}

describe(
  'RedTracker: rate, errors and percentiles from bucket deltas between two scrapes',
  { timeout: 10_000 },
  () => {
    it('a first scrape gives no row; the second gives the period: rate, error ratio, p50, p99', () => {
      let now = 10_000;
      const tracker = new RedTracker(() => now);
      assert.deepEqual(tracker.round([scrape('inventory-1', ok([5, 8, 10, 10, 10]))]), []);
      now += 2000;
      const [row] = tracker.round([scrape('inventory-1', ok([15, 24, 30, 30, 30]), failed([0, 0, 0, 2, 2]))]);
      assert.equal(row.service, 'inventory');
      assert.equal(row.kind, 'server');
      assert.equal(row.method, RESERVE);
      assert.equal(row.calls, 22);
      assert.equal(row.ratePerSecond, 11);
      assert.equal(row.errorRatio, 2 / 22);
      // Summed deltas: ≤5 ms 10, ≤10 ms 16, ≤25 ms 20, ≤100 ms 22. Rank 11 is 1/6 into (5, 10].
      assert.ok(Math.abs(row.p50Ms! - (5 + 5 / 6)) < 1e-9, String(row.p50Ms));
      // Rank 21.78 is 1.78/2 into (25, 100].
      assert.ok(Math.abs(row.p99Ms! - (25 + 75 * 0.89)) < 1e-9, String(row.p99Ms));
      assert.equal(row.instances, 1);
    });

    it('sums the instances of a service; server and client sides are separate rows', () => {
      let now = 0;
      const tracker = new RedTracker(() => now);
      tracker.round([
        scrape('a', ok([0, 0, 0, 0, 0])),
        scrape('b', ok([1, 1, 1, 1, 1]), client([0, 0, 0, 0, 0])),
      ]);
      now = 1000;
      const rows = tracker.round([
        scrape('a', ok([4, 4, 4, 4, 4])),
        scrape('b', ok([1, 3, 3, 3, 3]), client([0, 1, 1, 1, 1])),
      ]);
      assert.deepEqual(
        rows.map((row) => [row.kind, row.calls, row.ratePerSecond, row.instances]),
        [
          ['client', 1, 1, 1],
          ['server', 6, 6, 2],
        ],
      );
      assert.equal(rows[1].errorRatio, 0);
    });

    it('a counter that went down is a restart: the new counts are the increase', () => {
      let now = 0;
      const tracker = new RedTracker(() => now);
      tracker.round([scrape('a', ok([50, 50, 50, 50, 50]))]);
      now = 500;
      const [row] = tracker.round([scrape('a', ok([2, 3, 3, 3, 3]))]);
      assert.equal(row.calls, 3);
      assert.equal(row.ratePerSecond, 6);
    });

    it('no calls in the period: rate 0, no percentiles; a source missing from a round is forgotten', () => {
      let now = 0;
      const tracker = new RedTracker(() => now);
      tracker.round([scrape('a', ok([1, 1, 1, 1, 1]))]);
      now = 1000;
      const [idle] = tracker.round([scrape('a', ok([1, 1, 1, 1, 1]))]);
      assert.deepEqual(
        [idle.calls, idle.ratePerSecond, idle.errorRatio, idle.p50Ms, idle.p99Ms],
        [0, 0, 0, undefined, undefined],
      );
      now = 2000;
      tracker.round([]);
      now = 3000;
      assert.deepEqual(
        tracker.round([scrape('a', ok([9, 9, 9, 9, 9]))]),
        [],
        'a is new again: one scrape, no period',
      );
    });

    it('quantileMs: linear within the bucket; the +Inf bucket gives the highest finite bound', () => {
      const median = quantileMs(
        [
          { le: 0.1, count: 0 },
          { le: 0.2, count: 10 },
          { le: Infinity, count: 10 },
        ],
        0.5,
      );
      assert.ok(Math.abs(median! - 150) < 1e-9, String(median));
      assert.equal(
        quantileMs(
          [
            { le: 0.1, count: 1 },
            { le: Infinity, count: 10 },
          ],
          0.99,
        ),
        100,
      );
      assert.equal(quantileMs([{ le: Infinity, count: 0 }], 0.5), undefined);
    });
  },
);
