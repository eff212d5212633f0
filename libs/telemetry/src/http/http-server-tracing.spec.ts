import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { startHttpApp, waitFor } from '@nestmesh/testing';

import { meshTracer } from '../mesh-telemetry.js';
import { captureTelemetry } from '../testing/capture-telemetry.js';
import { httpServerTracing } from './http-server-tracing.js';

const telemetry = captureTelemetry({ serviceName: 'http-spec' });
const tracer = meshTracer('http-server-tracing.spec');

@Controller('items')
class ItemsController {
  @Get(':id')
  item(@Param('id') id: string): { id: string } {
    tracer.startSpan('handler.item').end();
    if (id === 'missing') throw new NotFoundException('no such item');
    if (id === 'boom') throw new Error('a bug');
    return { id };
  }
}

@Module({ controllers: [ItemsController] })
class ItemsModule {}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('httpServerTracing (Express middleware)', { timeout: 60_000 }, () => {
  let app: INestApplication;
  let url: string;

  before(async () => {
    ({ app, url } = await startHttpApp(ItemsModule, (created) => created.use(httpServerTracing())));
  });
  after(async () => {
    await app?.close();
    await telemetry.stop();
  });
  beforeEach(() => telemetry.resetSpans());

  async function serverSpan(name: string) {
    return waitFor(
      () => telemetry.spans().find((span) => span.kind === SpanKind.SERVER && span.name === name),
      {
        description: `the SERVER span "${name}"`,
      },
    );
  }

  it("continues the caller's trace, names the span by route, and runs the handler inside it", async () => {
    const response = await fetch(`${url}/items/42?verbose=1`, {
      headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` },
    });
    assert.equal(response.status, 200);
    const span = await serverSpan('GET /items/:id');
    assert.equal(span.spanContext().traceId, TRACE_ID);
    assert.equal(span.parentSpanContext?.spanId, PARENT_ID);
    assert.deepEqual(
      {
        method: span.attributes['http.request.method'],
        path: span.attributes['url.path'],
        scheme: span.attributes['url.scheme'],
        route: span.attributes['http.route'],
        status: span.attributes['http.response.status_code'],
        error: span.attributes['error.type'],
      },
      {
        method: 'GET',
        path: '/items/42',
        scheme: 'http',
        route: '/items/:id',
        status: 200,
        error: undefined,
      },
    );
    assert.equal(span.status.code, SpanStatusCode.UNSET);
    assert.equal(telemetry.span('handler.item').parentSpanContext?.spanId, span.spanContext().spanId);
  });

  it('starts a new trace without a traceparent; only a 5xx is an error', async () => {
    assert.equal((await fetch(`${url}/items/missing`)).status, 404);
    const notFound = await serverSpan('GET /items/:id');
    assert.equal(notFound.parentSpanContext, undefined);
    assert.equal(notFound.status.code, SpanStatusCode.UNSET);
    assert.equal(notFound.attributes['http.response.status_code'], 404);

    telemetry.resetSpans();
    assert.equal((await fetch(`${url}/items/boom`)).status, 500);
    const failed = await serverSpan('GET /items/:id');
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.equal(failed.attributes['error.type'], '500');
  });

  it('names an unrouted request by its method alone', async () => {
    assert.equal((await fetch(`${url}/nowhere`, { method: 'POST' })).status, 404);
    const span = await serverSpan('POST');
    assert.equal(span.attributes['http.route'], undefined);
    assert.equal(span.attributes['url.path'], '/nowhere');
  });

  it('records http.server.request.duration for exactly the requests served', async () => {
    const attributes = {
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'http.route': '/items/:id',
    };
    const count = () => telemetry.histogramCount('http.server.request.duration', attributes);
    const before = await count();
    for (let index = 0; index < 4; index++) assert.equal((await fetch(`${url}/items/${index}`)).status, 200);
    await waitFor(async () => (await count()) - before >= 4, { description: 'four measurements' });
    assert.equal((await count()) - before, 4);
  });

  it('does not trace /metrics, /debug/traces…, /healthz or /readyz (the untraced paths by default)', async () => {
    for (const path of [
      '/metrics',
      '/debug/traces',
      '/debug/traces/0af7651916cd43dd8448eb211c80319c',
      '/healthz',
    ]) {
      await fetch(`${url}${path}`);
    }
    // A traced request after them: once its span has ended, the earlier ones would have too.
    await fetch(`${url}/items/after`);
    await serverSpan('GET /items/:id');
    assert.deepEqual(
      telemetry
        .spans()
        .filter((span) => span.kind === SpanKind.SERVER)
        .map((span) => span.attributes['url.path']),
      ['/items/after'],
    );
  });
});
