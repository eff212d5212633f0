import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, TracerProvider } from '@opentelemetry/sdk-trace';

import { TraceBuffer } from './trace-buffer.js';

/** A provider of its own (no global registration) whose spans end up in `buffer`. */
function tracerInto(buffer: TraceBuffer, service = 'order'): Tracer {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [buffer],
  });
  return provider.getTracer('test');
}

/** Ends a root span called `name` and returns its trace id. */
function rootSpan(tracer: Tracer, name: string): string {
  const span = tracer.startSpan(name);
  span.end();
  return span.spanContext().traceId;
}

describe('TraceBuffer', () => {
  it('keeps the last `capacity` traces, evicting the least recently touched; the list is newest first', () => {
    const buffer = new TraceBuffer(2);
    const tracer = tracerInto(buffer);
    const first = tracer.startSpan('first');
    const firstTrace = first.spanContext().traceId;
    const secondTrace = rootSpan(tracer, 'second');
    // A late span of the first trace touches it again, so the second is the oldest now.
    tracer.startSpan('first child', {}, trace.setSpan(context.active(), first)).end();
    first.end();
    const thirdTrace = rootSpan(tracer, 'third');

    assert.deepEqual(
      buffer.list().map((summary) => summary.traceId),
      [thirdTrace, firstTrace],
    );
    assert.equal(buffer.get(secondTrace), undefined);
    assert.equal(buffer.capacity, 2);
  });

  it('serves one trace sorted by start time, with parent links, kinds, status, events and service', () => {
    const buffer = new TraceBuffer();
    const tracer = tracerInto(buffer, 'inventory');
    const root = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER });
    const child = tracer.startSpan(
      'inventory.v1.InventoryService/Reserve',
      { kind: SpanKind.CLIENT, attributes: { 'rpc.method': 'Reserve' } },
      trace.setSpan(context.active(), root),
    );
    child.addEvent('retry', { attempt: 2 });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'NOT_FOUND' });
    child.end();
    root.end();
    const { traceId } = root.spanContext();

    const spans = buffer.get(traceId)!;
    assert.deepEqual(
      spans.map((span) => span.name),
      ['POST /orders', 'inventory.v1.InventoryService/Reserve'],
    );
    const [server, client] = spans;
    assert.equal(server.parentSpanId, undefined);
    assert.equal(client.parentSpanId, server.spanId);
    assert.equal(server.kind, 'SERVER');
    assert.equal(client.kind, 'CLIENT');
    assert.deepEqual(client.status, { code: 'ERROR', message: 'NOT_FOUND' });
    assert.deepEqual(client.attributes, { 'rpc.method': 'Reserve' });
    assert.deepEqual(
      client.events.map(({ name, attributes }) => ({ name, attributes })),
      [{ name: 'retry', attributes: { attempt: 2 } }],
    );
    assert.equal(client.service, 'inventory');
    assert.ok(server.durationMs >= client.durationMs && client.durationMs >= 0);
    // The served JSON is what the endpoint sends: it survives a round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(spans)), spans);

    const [summary] = buffer.list();
    assert.equal(summary.root, 'POST /orders');
    assert.equal(summary.spanCount, 2);
    assert.equal(summary.errors, 1);
    assert.deepEqual(summary.services, ['inventory']);
    assert.ok(summary.durationMs >= server.durationMs - 0.001);
  });

  it('names the earliest orphan as root when the root span is in another process', () => {
    const buffer = new TraceBuffer();
    const tracer = tracerInto(buffer);
    const remoteParent = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    tracer
      .startSpan('inventory.v1.InventoryService/GetStock', {}, trace.setSpan(context.active(), remoteParent))
      .end();
    assert.equal(buffer.list()[0].root, 'inventory.v1.InventoryService/GetStock');
    assert.equal(buffer.get('0af7651916cd43dd8448eb211c80319c')![0].parentSpanId, 'b7ad6b7169203331');
  });

  it('keeps nothing of unsampled spans, and nothing after shutdown', async () => {
    const buffer = new TraceBuffer();
    const provider = new TracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [buffer] });
    provider.getTracer('test').startSpan('dropped').end();
    assert.deepEqual(buffer.list(), []);

    rootSpan(tracerInto(buffer), 'kept');
    assert.equal(buffer.list().length, 1);
    await buffer.shutdown();
    assert.deepEqual(buffer.list(), []);
  });

  it('caps the spans kept per trace at 1000, so one long trace cannot eat the buffer', () => {
    const buffer = new TraceBuffer();
    const tracer = tracerInto(buffer);
    const root = tracer.startSpan('stream');
    const parent = trace.setSpan(context.active(), root);
    for (let index = 0; index < 1005; index++) tracer.startSpan(`message ${index}`, {}, parent).end();
    root.end();
    assert.equal(buffer.get(root.spanContext().traceId)!.length, 1000);
  });
});
