import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startPrometheus, waitFor, type PrometheusServer } from '@nestmesh/testing';

import { dashboardQueries, metricNamesOf, sampleNamesOf } from './deploy/dashboard-queries.js';
import { postOrder, startTelemetryCluster, type TelemetryCluster } from './support/telemetry-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DASHBOARD = join(root, 'deploy/grafana/dashboards/nestmesh-mesh.json');
/** Restock every second: an election runs, so its leader gauge is exported. */
const RESTOCK_INTERVAL_MS = 1000;
// A liveness bound for a loaded machine (two Nest processes, etcd, Redis, Prometheus).
const ARRIVAL_TIMEOUT_MS = 90_000;

async function placeSomeOrders(url: string): Promise<void> {
  for (let index = 0; index < 3; index++) {
    await postOrder(url, [{ sku: 'A-1', quantity: 1 }]);
    await postOrder(url, [{ sku: 'NO-SUCH-SKU', quantity: 1 }]);
  }
}

describe('the Grafana dashboard queries what NestMesh exports', { timeout: 240_000 }, () => {
  let cluster: TelemetryCluster;
  const queries = dashboardQueries(DASHBOARD);

  before(async () => {
    cluster = await startTelemetryCluster({ RESTOCK_INTERVAL_MS: String(RESTOCK_INTERVAL_MS) });
  });
  after(() => cluster?.stop());

  it('the dashboard parses and has panels for RED, per-instance clients, locks, fencing, leaders and instances', () => {
    const names = new Set(queries.flatMap((query) => metricNamesOf(query.expr)));
    for (const expected of [
      'rpc_server_call_duration_seconds_count',
      'rpc_server_call_duration_seconds_bucket',
      'rpc_client_call_duration_seconds_bucket',
      'nestmesh_lock_wait_duration_seconds_bucket',
      'nestmesh_fencing_rejected_total',
      'nestmesh_election_leader',
      'nestmesh_discovery_instances',
    ]) {
      assert.ok(names.has(expected), `a panel queries ${expected}`);
    }
  });

  it('every metric name in its PromQL is in the /metrics of a running order and inventory after traffic', async () => {
    const scrape = async () => {
      const texts = await Promise.all(
        [`${cluster.url}/metrics`, cluster.inventoryMetricsUrl].map(async (url) => (await fetch(url)).text()),
      );
      return new Set(texts.flatMap((text) => [...sampleNamesOf(text)]));
    };
    const wanted = [...new Set(queries.flatMap((query) => metricNamesOf(query.expr)))];
    // The leader gauge appears once the first campaign is decided, the rest with the orders.
    const exported = await waitFor(
      async () => {
        await placeSomeOrders(cluster.url);
        const names = await scrape();
        return wanted.every((name) => names.has(name)) && names;
      },
      { timeoutMs: ARRIVAL_TIMEOUT_MS, intervalMs: 250, description: 'every dashboard metric exported' },
    ).catch(async () => scrape());
    assert.deepEqual(
      wanted.filter((name) => !exported.has(name)),
      [],
      'metrics a panel queries that neither app exports',
    );
  });

  it('a real Prometheus scraping both apps answers every panel query with data', async (t) => {
    const prometheus: PrometheusServer = await startPrometheus({
      scrapeTargets: [`${cluster.url}/metrics`, cluster.inventoryMetricsUrl],
      scrapeIntervalMs: 250,
    });
    try {
      // Rates need two samples with traffic between them: keep ordering until every query answers.
      const empty = async () => {
        const failing: string[] = [];
        for (const { panel, expr } of queries) {
          const result = await prometheus.query(expr); // rejects on a PromQL error
          if (result.length === 0) failing.push(`${panel}: ${expr}`);
        }
        return failing;
      };
      const left = await waitFor(
        async () => {
          await placeSomeOrders(cluster.url);
          const failing = await empty();
          return failing.length === 0 && failing;
        },
        { timeoutMs: ARRIVAL_TIMEOUT_MS, intervalMs: 500, description: 'data for every panel' },
      ).catch(() => empty());
      assert.deepEqual(left, [], 'panel queries without data');
      t.diagnostic(`${queries.length} panel queries answered`);
    } finally {
      await prometheus.stop();
    }
  });
});
