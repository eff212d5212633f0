import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  SPAN_KIND,
  startPrometheus,
  STATUS_CODE,
  waitFor,
  type PrometheusServer,
  type ReceivedSpan,
} from '@nestmesh/testing';

import {
  callerContext,
  descendsFrom,
  postOrder,
  scrape,
  startTelemetryCluster,
  sumOf,
  treeOf,
  type MetricSample,
  type TelemetryCluster,
} from './support/telemetry-cluster.js';

// Issue 10 across processes: order and inventory as their own processes on etcd and Redis
// (the start:cluster shape), exporting OTLP/HTTP JSON to a receiver this test runs.
const RESERVE = 'inventory.v1.InventoryService/ReserveStock';
const RELEASE = 'inventory.v1.InventoryService/ReleaseReservation';
/** A liveness bound for a loaded machine: spans are batched every 100 ms here. */
const ARRIVAL_TIMEOUT_MS = 60_000;

describe(
  'telemetry across the cluster (order + inventory processes, etcd, Redis)',
  { timeout: 400_000 },
  () => {
    let cluster: TelemetryCluster;

    before(async () => {
      cluster = await startTelemetryCluster({ LOG_FORMAT: 'json' });
      // Inventory is found through etcd: wait for the path to work before measuring anything.
      await waitFor(async () => (await fetch(`${cluster.url}/stock/A-1`)).ok, {
        timeoutMs: ARRIVAL_TIMEOUT_MS,
        description: 'order reaching inventory',
      });
    });
    after(async () => cluster?.stop());

    /** Waits until trace `traceId` has the spans `complete` wants and no span misses its parent. */
    const awaitTrace = (traceId: string, rootParent: string, complete: (spans: ReceivedSpan[]) => boolean) =>
      cluster.receiver
        .waitForSpans(
          () => {
            const spans = cluster.receiver.trace(traceId);
            const ids = new Set([rootParent, ...spans.map((span) => span.spanId)]);
            return complete(spans) && spans.every((span) => span.parentSpanId && ids.has(span.parentSpanId));
          },
          { timeoutMs: ARRIVAL_TIMEOUT_MS, description: `the spans of trace ${traceId}` },
        )
        .then(() => cluster.receiver.trace(traceId));

    it('one POST /orders is one trace over both processes: HTTP server → gRPC client → gRPC server → lock → Redis script', async (t) => {
      const caller = callerContext();
      const response = await postOrder(cluster.url, [{ sku: 'A-1', quantity: 1 }], caller.traceparent);
      assert.equal(response.status, 201, await response.text());

      const find = (spans: ReceivedSpan[], test: (span: ReceivedSpan) => boolean) => spans.find(test);
      const isHttp = (s: ReceivedSpan) => s.name === 'POST /orders' && s.kind === SPAN_KIND.SERVER;
      const isClient = (s: ReceivedSpan) => s.name === RESERVE && s.kind === SPAN_KIND.CLIENT;
      const isServer = (s: ReceivedSpan) => s.name === RESERVE && s.kind === SPAN_KIND.SERVER;
      const isAcquire = (s: ReceivedSpan) => s.name === 'nestmesh.lock.acquire';
      const isHold = (s: ReceivedSpan) => s.name === 'nestmesh.lock.hold';
      const isScript = (s: ReceivedSpan) =>
        s.kind === SPAN_KIND.CLIENT && s.attributes['db.system.name'] === 'redis';
      const spans = await awaitTrace(caller.traceId, caller.spanId, (all) =>
        [isHttp, isClient, isServer, isAcquire, isHold, isScript].every((test) => find(all, test)),
      );
      t.diagnostic(`\n${treeOf(spans)}`);
      const [http, client, server, acquire, hold, script] = [
        isHttp,
        isClient,
        isServer,
        isAcquire,
        isHold,
        isScript,
      ].map((test) => find(spans, test)!);

      // Every span is of this one trace and comes from one of the two processes, under its name.
      assert.deepEqual([...new Set(spans.map((span) => span.service))].sort(), ['inventory', 'order']);
      for (const span of [http, client]) assert.equal(span.service, 'order', span.name);
      for (const span of [server, acquire, hold, script]) assert.equal(span.service, 'inventory', span.name);
      assert.equal(
        server.resource['service.instance.id'],
        cluster.inventoryId,
        'service.instance.id = discovery id',
      );

      // The parent links, hop by hop: the caller's traceparent → HTTP server → … → Redis script.
      assert.equal(http.parentSpanId, caller.spanId, "the HTTP span continues the caller's trace");
      assert.ok(descendsFrom(client, http, spans), 'gRPC client under the HTTP span');
      assert.equal(server.parentSpanId, client.spanId, "gRPC server span is the client span's child");
      assert.ok(descendsFrom(acquire, server, spans), 'lock acquire under the gRPC server span');
      assert.ok(descendsFrom(hold, server, spans), 'lock hold under the gRPC server span');
      assert.ok(descendsFrom(script, server, spans), 'Redis script under the gRPC server span');
      assert.equal(client.attributes['rpc.status_code'], 'OK');
      assert.equal(server.attributes['rpc.status_code'], 'OK');
      assert.equal(http.attributes['http.response.status_code'], 201);
    });

    it('a failing call (unknown SKU, stock exhausted) records its status on the client and the server span', async () => {
      for (const { items, status, code } of [
        { items: [{ sku: 'NO-SUCH-SKU', quantity: 1 }], status: 404, code: 'NOT_FOUND' },
        { items: [{ sku: 'C-3', quantity: 6 }], status: 409, code: 'FAILED_PRECONDITION' },
      ]) {
        const caller = callerContext();
        const response = await postOrder(cluster.url, items, caller.traceparent);
        assert.equal(response.status, status, await response.text());
        const spans = await awaitTrace(caller.traceId, caller.spanId, (all) =>
          [SPAN_KIND.CLIENT, SPAN_KIND.SERVER].every((kind) =>
            all.some((s) => s.name === RESERVE && s.kind === kind),
          ),
        );
        const client = spans.find((s) => s.name === RESERVE && s.kind === SPAN_KIND.CLIENT)!;
        const server = spans.find((s) => s.name === RESERVE && s.kind === SPAN_KIND.SERVER)!;
        assert.equal(client.attributes['rpc.status_code'], code);
        assert.equal(server.attributes['rpc.status_code'], code);
        // The conventions: any non-OK code is an error for the caller; for the server only the
        // codes that mean a server fault are (NOT_FOUND, FAILED_PRECONDITION are the caller's).
        assert.equal(client.status.code, STATUS_CODE.ERROR);
        assert.notEqual(server.status.code, STATUS_CODE.OK);
        const http = spans.find((s) => s.name === 'POST /orders')!;
        assert.equal(http.attributes['http.response.status_code'], status);
      }
    });

    it('RED metrics count exactly the calls and errors made, on both sides', async () => {
      const orderMetrics = `${cluster.url}/metrics`;
      const counts = (samples: MetricSample[], side: 'client' | 'server', code: string) =>
        sumOf(samples, `rpc_${side}_call_duration_seconds_count`, {
          rpc_method: RESERVE,
          rpc_status_code: code,
        });
      const snapshot = async () => {
        const [order, inventory] = await Promise.all([
          scrape(orderMetrics),
          scrape(cluster.inventoryMetricsUrl),
        ]);
        return Object.fromEntries(
          ['OK', 'NOT_FOUND', 'FAILED_PRECONDITION'].flatMap((code) => [
            [`client ${code}`, counts(order, 'client', code)],
            [`server ${code}`, counts(inventory, 'server', code)],
          ]),
        );
      };
      const before = await snapshot();
      const made = { OK: 3, NOT_FOUND: 2, FAILED_PRECONDITION: 1 };
      for (let index = 0; index < made.OK; index++) {
        assert.equal((await postOrder(cluster.url, [{ sku: 'A-1', quantity: 1 }])).status, 201);
      }
      for (let index = 0; index < made.NOT_FOUND; index++) {
        assert.equal((await postOrder(cluster.url, [{ sku: 'NO-SUCH-SKU', quantity: 1 }])).status, 404);
      }
      assert.equal((await postOrder(cluster.url, [{ sku: 'C-3', quantity: 6 }])).status, 409);

      const expected = Object.fromEntries(
        Object.entries(made).flatMap(([code, count]) => [
          [`client ${code}`, before[`client ${code}`] + count],
          [`server ${code}`, before[`server ${code}`] + count],
        ]),
      );
      // The server records a call as it answers, so its count may trail the client's response by
      // a moment: poll until it reaches the expected value, then check it is not more.
      let after: Record<string, number> = {};
      await waitFor(
        async () => {
          after = await snapshot();
          return Object.entries(expected).every(([key, value]) => after[key] >= value);
        },
        { timeoutMs: ARRIVAL_TIMEOUT_MS, description: 'the calls counted' },
      ).catch(() => undefined);
      assert.deepEqual(after, expected);
    });

    it('a real Prometheus scrapes both apps, and PromQL gives request rates by rpc_method and status', async (t) => {
      const prometheus: PrometheusServer = await startPrometheus({
        scrapeTargets: [`${cluster.url}/metrics`, cluster.inventoryMetricsUrl],
        scrapeIntervalMs: 250,
      });
      try {
        const jobs = { order: 'target-0', inventory: 'target-1' };
        const query = `sum by (job, rpc_method, rpc_status_code) (rate({__name__=~"rpc_(client|server)_call_duration_seconds_count", rpc_method="${RESERVE}"}[30s]))`;
        // A rate needs two samples with calls between them: keep ordering until both apps show one.
        const samples = await waitFor(
          async () => {
            await postOrder(cluster.url, [{ sku: 'A-1', quantity: 1 }]);
            await postOrder(cluster.url, [{ sku: 'NO-SUCH-SKU', quantity: 1 }]);
            const result = await prometheus.query(query);
            const positive = (job: string, code: string) =>
              result.some((s) => s.metric.job === job && s.metric.rpc_status_code === code && s.value > 0);
            return (
              positive(jobs.order, 'OK') &&
              positive(jobs.inventory, 'OK') &&
              positive(jobs.order, 'NOT_FOUND') &&
              positive(jobs.inventory, 'NOT_FOUND') &&
              result
            );
          },
          { timeoutMs: ARRIVAL_TIMEOUT_MS, intervalMs: 100, description: 'rates for both apps' },
        );
        t.diagnostic(samples.map((s) => `${JSON.stringify(s.metric)} ${s.value.toFixed(2)}/s`).join('\n'));
        const up = await prometheus.query('up');
        assert.deepEqual(up.map((s) => [s.metric.job, s.value]).sort(), [
          [jobs.order, 1],
          [jobs.inventory, 1],
        ]);
      } finally {
        await prometheus.stop();
      }
    });

    it('the log lines written for a request carry its trace id (LOG_FORMAT=json)', async () => {
      const caller = callerContext();
      // The second item does not exist: order releases the first one's reservation and logs it.
      const response = await postOrder(
        cluster.url,
        [
          { sku: 'A-1', quantity: 1 },
          { sku: 'NO-SUCH-SKU', quantity: 1 },
        ],
        caller.traceparent,
      );
      assert.equal(response.status, 404);
      const line = await waitFor(
        () =>
          cluster.order
            .output()
            .split('\n')
            .filter((text) => text.startsWith('{'))
            .map((text) => JSON.parse(text) as Record<string, unknown>)
            .find((record) => String(record.message).includes('released them')),
        { timeoutMs: ARRIVAL_TIMEOUT_MS, description: 'the compensation log line' },
      );
      assert.equal(line.trace_id, caller.traceId, JSON.stringify(line));
      const spans = await awaitTrace(caller.traceId, caller.spanId, (all) =>
        all.some((s) => s.name === RELEASE && s.kind === SPAN_KIND.SERVER),
      );
      assert.ok(
        spans.some((span) => span.spanId === line.span_id && span.service === 'order'),
        `span_id ${String(line.span_id)} is a span of order in the trace:\n${treeOf(spans)}`,
      );
    });
  },
);
