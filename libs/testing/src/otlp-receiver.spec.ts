import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

import { SPAN_KIND, startOtlpReceiver, STATUS_CODE, type OtlpReceiver } from './otlp-receiver.js';

describe('startOtlpReceiver (OTLP/HTTP JSON)', { timeout: 60_000 }, () => {
  let receiver: OtlpReceiver;
  let provider: TracerProvider;
  let tracer: Tracer;

  before(async () => {
    receiver = await startOtlpReceiver();
    // The SDK's own exporter, as the apps use it with OTEL_EXPORTER_OTLP_PROTOCOL=http/json.
    const exporter = new OTLPTraceExporter({ url: `${receiver.endpoint}/v1/traces` });
    provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'receiver-test' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    tracer = provider.getTracer('test');
  });

  after(async () => {
    await provider?.shutdown();
    await receiver?.stop();
  });

  it('receives what the SDK exporter sends: ids, parent links, kind, status, attributes, service', async () => {
    const parent = tracer.startSpan('parent', { kind: SpanKind.INTERNAL });
    const child = tracer.startSpan(
      'child',
      { kind: SpanKind.SERVER, attributes: { 'a.string': 'x', 'a.int': 7, 'a.bool': true } },
      trace.setSpan(context.active(), parent),
    );
    child.addEvent('happened', { why: 'test' });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'broken' });
    child.end();
    parent.end();
    await provider.forceFlush();

    const traceId = parent.spanContext().traceId;
    const spans = await receiver.waitForSpans(
      (all) => all.filter((s) => s.traceId === traceId).length === 2,
      {
        timeoutMs: 30_000,
      },
    );
    const byName = new Map(spans.map((span) => [span.name, span]));
    const [received, receivedChild] = [byName.get('parent')!, byName.get('child')!];
    assert.equal(received.spanId, parent.spanContext().spanId);
    assert.equal(received.parentSpanId, undefined);
    assert.equal(receivedChild.parentSpanId, parent.spanContext().spanId);
    assert.equal(receivedChild.kind, SPAN_KIND.SERVER);
    assert.equal(received.kind, SPAN_KIND.INTERNAL);
    assert.deepEqual(receivedChild.status, { code: STATUS_CODE.ERROR, message: 'broken' });
    assert.deepEqual(receivedChild.attributes, { 'a.string': 'x', 'a.int': 7, 'a.bool': true });
    assert.deepEqual(receivedChild.events, [{ name: 'happened', attributes: { why: 'test' } }]);
    assert.equal(receivedChild.service, 'receiver-test');
    assert.equal(receivedChild.scope, 'test');
    assert.ok(receivedChild.endTimeUnixNano >= receivedChild.startTimeUnixNano);
    assert.deepEqual(receiver.trace(traceId).length, 2);
  });

  it('refuses protobuf bodies with 415 and other paths with 404', async () => {
    const proto = await fetch(`${receiver.endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([1, 2, 3]),
    });
    assert.equal(proto.status, 415);
    assert.equal((await fetch(`${receiver.endpoint}/v1/metrics`, { method: 'POST' })).status, 404);
    const bad = await fetch(`${receiver.endpoint}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(bad.status, 400);
  });
});
