import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SPAN_KIND, startAppProcess, waitFor } from '@nestmesh/testing';

import { callerContext, postOrder, startTelemetryCluster, treeOf } from './support/telemetry-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const RESERVE = 'inventory.v1.InventoryService/ReserveStock';
/** Starting a Nest app is CPU-bound (about 3 s of CPU): on a machine at load 20 it took 30 s. */
const START_TIMEOUT_MS = 120_000;
/** A liveness bound for a loaded machine. */
const ARRIVAL_TIMEOUT_MS = 60_000;

interface TraceList {
  service: string;
  traces: { traceId: string; root: string; spanCount: number; services: string[] }[];
}

describe('telemetry in the apps', { timeout: 400_000 }, () => {
  it('npm start (the embedded demo) keeps traces in process: /debug/traces shows a POST /orders with nothing installed', async () => {
    const demo = await startAppProcess(join(root, 'apps/demo/dist/main.js'), {
      env: { PORT: '0', RESTOCK_INTERVAL_MS: '0', NO_COLOR: '1' },
      readyPattern: /HTTP (http:\/\/[\d.]+:\d+)/,
      timeoutMs: START_TIMEOUT_MS,
    });
    try {
      const url = demo.ready[1];
      await waitFor(() => demo.output().includes('/debug/traces'), { description: 'the telemetry lines' });
      assert.match(demo.output(), /service\.name=demo/);
      const caller = callerContext();
      assert.equal((await postOrder(url, [{ sku: 'A-1', quantity: 1 }], caller.traceparent)).status, 201);
      // The HTTP span ends as the response is written: poll the list until the trace is in it.
      const listed = await waitFor(
        async () => {
          const list = (await (await fetch(`${url}/debug/traces`)).json()) as TraceList;
          const entry = list.traces.find((trace) => trace.traceId === caller.traceId);
          return entry && entry.spanCount >= 3 && { list, entry };
        },
        { timeoutMs: ARRIVAL_TIMEOUT_MS, description: 'the trace in /debug/traces' },
      );
      assert.equal(listed.list.service, 'demo');
      assert.deepEqual(listed.entry.services, ['demo']);
      const { spans } = (await (await fetch(`${url}/debug/traces/${caller.traceId}`)).json()) as {
        spans: { name: string; kind: string; parentSpanId?: string }[];
      };
      const names = spans.map((span) => `${span.kind} ${span.name}`);
      for (const expected of ['SERVER POST /orders', `CLIENT ${RESERVE}`, `SERVER ${RESERVE}`]) {
        assert.ok(names.includes(expected), `${expected} in ${JSON.stringify(names)}`);
      }
      assert.equal(spans[0].name, 'POST /orders', 'the list starts with the root span');
      const metrics = await fetch(`${url}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^rpc_server_call_duration_seconds_count\{/m);
    } finally {
      await demo.stop('SIGTERM');
    }
  });

  it('parent-based ratio 0: orders work and export no span; a sampled caller is still followed; SIGTERM flushes', async (t) => {
    const cluster = await startTelemetryCluster({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0',
      // An hour: only the flush on SIGTERM can send what was recorded.
      OTEL_BSP_SCHEDULE_DELAY: '3600000',
    });
    try {
      await waitFor(async () => (await fetch(`${cluster.url}/stock/A-1`)).ok, {
        timeoutMs: ARRIVAL_TIMEOUT_MS,
        description: 'order reaching inventory',
      });
      for (let index = 0; index < 20; index++) {
        assert.equal((await postOrder(cluster.url, [{ sku: 'A-1', quantity: 1 }])).status, 201);
      }
      const caller = callerContext();
      assert.equal(
        (await postOrder(cluster.url, [{ sku: 'A-1', quantity: 1 }], caller.traceparent)).status,
        201,
      );
      assert.equal(cluster.receiver.spans().length, 0, 'nothing sent before the flush');

      const exits = await Promise.all([cluster.order.stop('SIGTERM'), cluster.inventory.stop('SIGTERM')]);
      for (const exit of exits) assert.ok([0, 'SIGTERM', 143].includes(exit), `exited cleanly (${exit})`);
      const spans = cluster.receiver.spans();
      t.diagnostic(`\n${treeOf(spans)}`);
      assert.deepEqual(
        [...new Set(spans.map((span) => span.traceId))],
        [caller.traceId],
        "the sampled caller's trace only",
      );
      assert.deepEqual([...new Set(spans.map((span) => span.service))].sort(), ['inventory', 'order']);
    } finally {
      await cluster.stop();
    }
  });

  it('OTEL_NODE_ENABLED_INSTRUMENTATIONS=http,ioredis adds the stock http and ioredis spans to the trace', async (t) => {
    const cluster = await startTelemetryCluster({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,ioredis' });
    try {
      await waitFor(async () => (await fetch(`${cluster.url}/stock/A-1`)).ok, {
        timeoutMs: ARRIVAL_TIMEOUT_MS,
        description: 'order reaching inventory',
      });
      const caller = callerContext();
      assert.equal(
        (await postOrder(cluster.url, [{ sku: 'A-1', quantity: 1 }], caller.traceparent)).status,
        201,
      );
      const spans = await cluster.receiver.waitForSpans(
        () => {
          const trace = cluster.receiver.trace(caller.traceId);
          const scopes = new Set(trace.map((span) => span.scope));
          return (
            scopes.has('@opentelemetry/instrumentation-http') &&
            scopes.has('@opentelemetry/instrumentation-ioredis') &&
            trace.some((span) => span.name === RESERVE && span.kind === SPAN_KIND.SERVER)
          );
        },
        { timeoutMs: ARRIVAL_TIMEOUT_MS, description: 'http and ioredis spans in the trace' },
      );
      const trace = spans.filter((span) => span.traceId === caller.traceId);
      t.diagnostic(`\n${treeOf(trace)}`);
      const http = trace.find((span) => span.scope === '@opentelemetry/instrumentation-http')!;
      assert.equal(http.service, 'order');
      assert.equal(http.kind, SPAN_KIND.SERVER);
      const redis = trace.filter((span) => span.scope === '@opentelemetry/instrumentation-ioredis');
      // REDIS_URL is shared: inventory's stock and locks, and order's order store, both call Redis.
      assert.ok(redis.every((span) => span.kind === SPAN_KIND.CLIENT));
      assert.deepEqual([...new Set(redis.map((span) => span.service))].sort(), ['inventory', 'order']);
      // The stock http instrumentation leaves the scrape endpoints out (a Prometheus polling them
      // would fill the traces): a sampled GET /metrics gets no span of it, a request after does.
      const scraper = callerContext();
      assert.equal(
        (await fetch(`${cluster.url}/metrics`, { headers: { traceparent: scraper.traceparent } })).status,
        200,
      );
      const control = callerContext();
      await fetch(`${cluster.url}/stock/A-1`, { headers: { traceparent: control.traceparent } });
      await cluster.receiver.waitForSpans(
        () =>
          cluster.receiver
            .trace(control.traceId)
            .some((span) => span.scope === '@opentelemetry/instrumentation-http'),
        {
          timeoutMs: ARRIVAL_TIMEOUT_MS,
          description: 'the control request traced',
        },
      );
      assert.deepEqual(
        cluster.receiver
          .trace(scraper.traceId)
          .filter((span) => span.scope === '@opentelemetry/instrumentation-http'),
        [],
      );
    } finally {
      await cluster.stop();
    }
  });

  it('a bad OTEL_* value stops the app at startup with the variable named', async () => {
    await assert.rejects(
      startAppProcess(join(root, 'apps/inventory/dist/main.js'), {
        env: { OTEL_TRACES_SAMPLER: 'sometimes' },
        readyPattern: /inventory ready/,
        timeoutMs: START_TIMEOUT_MS,
      }),
      /exited \(1\) before it was ready:[\s\S]*telemetry: OTEL_TRACES_SAMPLER must be one of/,
    );
  });
});
