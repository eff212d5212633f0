import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { startOtlpReceiver, type OtlpReceiver } from '@nestmesh/testing';

import { meshMeter, meshTracer } from '../mesh-telemetry.js';
import { currentTelemetry, type TelemetryHandle } from '../telemetry-handle.js';
import { InvalidTelemetryConfigError } from '../telemetry.errors.js';
import { startTelemetry } from './start-telemetry.js';

// startTelemetry registers the process's global SDK: each test starts one and shuts it down.
describe('startTelemetry', { timeout: 60_000 }, () => {
  let started: TelemetryHandle | undefined;
  let receiver: OtlpReceiver | undefined;
  const start = async (env: NodeJS.ProcessEnv, extra: Partial<Parameters<typeof startTelemetry>[0]> = {}) => {
    started = await startTelemetry({ serviceName: 'order', env, ...extra });
    return started;
  };

  afterEach(async () => {
    await started?.shutdown();
    started = undefined;
  });
  after(async () => receiver?.stop());

  it('keeps traces in process when no exporter is set, with service.name and service.instance.id', async () => {
    const telemetry = await start({}, { instanceId: 'order-1' });
    assert.equal(currentTelemetry(), telemetry);
    assert.equal(telemetry.enabled, true);
    assert.equal(telemetry.instanceId, 'order-1');
    assert.match(telemetry.traceDestination, /in-process buffer \(last 300 traces/);
    const span = meshTracer('test').startSpan('work');
    span.end();
    const [summary] = telemetry.traces!.list();
    assert.equal(summary.traceId, span.spanContext().traceId);
    assert.deepEqual(summary.services, ['order']);
    assert.match(await telemetry.scrapeMetrics!(), /service_instance_id="order-1"/);
  });

  it('a default instance id names the service, host and pid; OTEL_RESOURCE_ATTRIBUTES can set it', async () => {
    const telemetry = await start({});
    assert.match(telemetry.instanceId, new RegExp(`^order-.+-${process.pid}-[0-9a-f]{4}$`));
    await telemetry.shutdown();
    const named = await start({ OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=eu-7' }, { instanceId: 'x' });
    assert.equal(named.instanceId, 'eu-7');
  });

  it('OTEL_SDK_DISABLED=true: a handle that records nothing, serves no metrics, and a clean shutdown', async () => {
    const telemetry = await start({ OTEL_SDK_DISABLED: 'true', METRICS_PORT: '0' });
    assert.equal(telemetry.enabled, false);
    assert.equal(telemetry.traces, undefined);
    assert.equal('scrapeMetrics' in telemetry, false);
    assert.equal(telemetry.metricsUrl, undefined);
    assert.equal(meshTracer('test').startSpan('nothing').isRecording(), false);
    await telemetry.shutdown();
    assert.equal(currentTelemetry(), undefined);
  });

  it("parent-based ratio 0: a new trace records no span; a sampled caller's trace is still followed", async () => {
    const memory = new InMemorySpanExporter();
    const telemetry = await start(
      { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' },
      { spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] },
    );
    for (let index = 0; index < 100; index++) meshTracer('test').startSpan(`root ${index}`).end();
    assert.deepEqual(memory.getFinishedSpans(), []);
    assert.deepEqual(telemetry.traces!.list(), []);

    const sampledCaller = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    meshTracer('test').startSpan('handler', {}, trace.setSpan(context.active(), sampledCaller)).end();
    assert.deepEqual(
      memory.getFinishedSpans().map((span) => span.name),
      ['handler'],
    );
  });

  it('METRICS_PORT=0 serves /metrics on a free port until shutdown', async () => {
    const telemetry = await start({ METRICS_PORT: '0' });
    assert.match(telemetry.metricsUrl!, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.doesNotMatch(telemetry.metricsUrl!, /:0\//);
    meshMeter('test').createCounter('nestmesh.test.calls').add(3, { outcome: 'ok' });
    meshMeter('test').createHistogram('nestmesh.test.wait.duration', { unit: 's' }).record(0.02);
    meshMeter('test').createCounter('nestmesh.test.sent', { unit: 'By' }).add(10);
    const response = await fetch(telemetry.metricsUrl!);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /^nestmesh_test_calls_total\{outcome="ok",otel_scope_name="test"\} 3$/m);
    // Units become name suffixes, as PromQL users expect; counters get _total after the unit.
    assert.match(text, /^nestmesh_test_wait_duration_seconds_count\{otel_scope_name="test"\} 1$/m);
    assert.match(
      text,
      /^nestmesh_test_wait_duration_seconds_bucket\{otel_scope_name="test",le="\+Inf"\} 1$/m,
    );
    assert.match(text, /^nestmesh_test_sent_bytes_total\{otel_scope_name="test"\} 10$/m);
    assert.equal((await fetch(telemetry.metricsUrl!.replace('/metrics', '/other'))).status, 404);

    await telemetry.shutdown();
    await assert.rejects(fetch(telemetry.metricsUrl!), 'the port is closed after shutdown');
  });

  it('the METRICS_PORT server serves /debug/traces and /debug/traces/:traceId as the HTTP app does', async () => {
    const telemetry = await start({ METRICS_PORT: '0' }, { instanceId: 'inventory-1' });
    const base = telemetry.metricsUrl!.replace('/metrics', '');
    const span = meshTracer('test').startSpan('Reserve');
    span.end();
    const { traceId } = span.spanContext();
    const list = (await (await fetch(`${base}/debug/traces`)).json()) as {
      service: string;
      traces: { traceId: string; root: string }[];
    };
    assert.equal(list.service, 'order');
    assert.deepEqual(
      list.traces.map((summary) => [summary.traceId, summary.root]),
      [[traceId, 'Reserve']],
    );
    const one = await fetch(`${base}/debug/traces/${traceId}`);
    assert.equal(one.headers.get('cache-control'), 'no-store');
    const detail = (await one.json()) as { traceId: string; spans: { name: string }[] };
    assert.deepEqual([detail.traceId, detail.spans.map((each) => each.name)], [traceId, ['Reserve']]);
    const missing = await fetch(`${base}/debug/traces/${'0'.repeat(32)}`);
    assert.equal(missing.status, 404);
    assert.match(
      ((await missing.json()) as { message: string }).message,
      /not \(or no longer\) in the buffer/,
    );
    assert.equal((await fetch(`${base}/debug/traces/not-an-id`)).status, 404);
  });

  it('a METRICS_PORT in use is refused with InvalidTelemetryConfigError, and nothing stays registered', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      await assert.rejects(
        startTelemetry({ serviceName: 'order', env: { METRICS_PORT: String(port) } }),
        (error: unknown) =>
          error instanceof InvalidTelemetryConfigError && /METRICS_PORT/.test(error.message),
      );
      assert.equal(currentTelemetry(), undefined);
    } finally {
      taken.close();
    }
  });

  it('refuses a blank service name and a second start', async () => {
    await assert.rejects(startTelemetry({ serviceName: ' ' }), InvalidTelemetryConfigError);
    await start({});
    await assert.rejects(startTelemetry({ serviceName: 'again', env: {} }), /was called twice/);
  });

  it('exports to OTLP/HTTP JSON, and shutdown sends the spans still waiting for their batch', async () => {
    receiver = await startOtlpReceiver();
    const telemetry = await start({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      // Far beyond the test: only shutdown can have sent it.
      OTEL_BSP_SCHEDULE_DELAY: '3600000',
    });
    assert.equal(telemetry.traces, undefined);
    assert.equal(telemetry.traceDestination, `otlp ${receiver.endpoint}/v1/traces (http/json)`);
    const span = meshTracer('test').startSpan('flushed on shutdown');
    span.end();
    assert.equal(receiver.spans().length, 0);
    await telemetry.shutdown();
    const [received] = receiver.spans();
    assert.equal(received.name, 'flushed on shutdown');
    assert.equal(received.traceId, span.spanContext().traceId);
    assert.equal(received.service, 'order');
    assert.equal(received.resource['service.instance.id'], telemetry.instanceId);
  });
});
