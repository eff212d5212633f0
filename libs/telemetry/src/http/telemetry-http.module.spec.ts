import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { startHttpApp } from '@nestmesh/testing';

import { meshMeter, meshTracer } from '../mesh-telemetry.js';
import { startTelemetry } from '../sdk/start-telemetry.js';
import type { BufferedSpan, TelemetryHandle, TraceSummary } from '../telemetry-handle.js';
import { TelemetryHttpModule } from './telemetry-http.module.js';

describe('TelemetryHttpModule: GET /metrics and /debug/traces', { timeout: 60_000 }, () => {
  let app: INestApplication;
  let url: string;
  let telemetry: TelemetryHandle | undefined;

  before(async () => {
    ({ app, url } = await startHttpApp(TelemetryHttpModule));
  });
  after(async () => {
    await app?.close();
    await telemetry?.shutdown();
  });

  it('answers 503 with what to do while telemetry is not started', async () => {
    for (const path of ['/metrics', '/debug/traces']) {
      const response = await fetch(`${url}${path}`);
      assert.equal(response.status, 503, path);
      assert.match(await response.text(), /call startTelemetry\(\) from @nestmesh\/telemetry\/sdk first/);
    }
  });

  it('serves the Prometheus text and the kept traces as JSON once started', async () => {
    telemetry = await startTelemetry({ serviceName: 'order', env: {}, traceBufferSize: 5 });
    meshMeter('test').createCounter('nestmesh.test.requests').add(2);
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type')!, /^text\/plain; version=0\.0\.4; charset=utf-8/);
    assert.equal(metrics.headers.get('cache-control'), 'no-store');
    assert.match(await metrics.text(), /^nestmesh_test_requests_total\{[^}]*\} 2$/m);

    const root = meshTracer('test').startSpan('POST /orders');
    root.end();
    const { traceId } = root.spanContext();
    const list = (await (await fetch(`${url}/debug/traces`)).json()) as {
      service: string;
      capacity: number;
      traces: TraceSummary[];
    };
    assert.equal(list.service, 'order');
    assert.equal(list.capacity, 5);
    assert.deepEqual(
      list.traces.map((summary) => [summary.traceId, summary.root, summary.spanCount]),
      [[traceId, 'POST /orders', 1]],
    );

    const one = (await (await fetch(`${url}/debug/traces/${traceId}`)).json()) as {
      traceId: string;
      spans: BufferedSpan[];
    };
    assert.equal(one.traceId, traceId);
    assert.deepEqual(
      one.spans.map((span) => [span.name, span.spanId, span.service]),
      [['POST /orders', root.spanContext().spanId, 'order']],
    );
  });

  it('404 for a malformed or unknown trace id', async () => {
    const malformed = await fetch(`${url}/debug/traces/not-a-trace`);
    assert.equal(malformed.status, 404);
    assert.match(await malformed.text(), /is not a trace id/);
    const unknown = await fetch(`${url}/debug/traces/${'0'.repeat(31)}1`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /not \(or no longer\) in the buffer/);
  });

  it('404 naming the destination when traces go to an exporter; 503 for metrics when the SDK is disabled', async () => {
    await telemetry!.shutdown();
    telemetry = await startTelemetry({
      serviceName: 'order',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    });
    const exported = await fetch(`${url}/debug/traces`);
    assert.equal(exported.status, 404);
    assert.match(await exported.text(), /they go to otlp http:\/\/127\.0\.0\.1:9\/v1\/traces \(http\/json\)/);

    await telemetry.shutdown();
    telemetry = await startTelemetry({ serviceName: 'order', env: { OTEL_SDK_DISABLED: 'true' } });
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 503);
    assert.match(await metrics.text(), /OTEL_SDK_DISABLED=true/);
  });
});
