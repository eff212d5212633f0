import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Controller, Injectable, UseInterceptors } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { status as Status, type Metadata } from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  InventoryServiceControllerMethods,
  type GetStockRequest,
  type GetStockResponse,
  type ReserveStockRequest,
  type ReserveStockResponse,
  type StockEvent,
  type WatchStockRequest,
} from '@nestmesh/contracts/inventory/v1';
import { meshTracer } from '@nestmesh/telemetry';
import { captureTelemetry } from '@nestmesh/telemetry/testing';
import { waitFor } from '@nestmesh/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Observable } from 'rxjs';

import { RpcError } from '../grpc.errors.js';
import { callSignal, type CancellableCall } from '../server/call-signal.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import { startFixtureApp, type FixtureApp } from '../test-fixtures/fixture-app.js';
import { countOf, histogramCount, settle } from './telemetry-test-helpers.js';

const telemetry = captureTelemetry({ serviceName: 'grpc-spec' });
const tracer = meshTracer('grpc-tracing.spec');
const GET_STOCK = 'inventory.v1.InventoryService/GetStock';
const RESERVE = 'inventory.v1.InventoryService/ReserveStock';
const WATCH = 'inventory.v1.InventoryService/WatchStock';

/** What the handlers saw: the traceparent they were called with. */
const seen: { traceparent?: string } = {};

/** Passes through: its presence puts reserveStock on Nest's context path (guards, interceptors…). */
@Injectable()
class PassInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

@Controller()
@InventoryServiceControllerMethods()
class TracedController {
  async getStock(
    { sku }: GetStockRequest,
    metadata: Metadata,
    call: CancellableCall,
  ): Promise<GetStockResponse> {
    seen.traceparent = metadata.get('traceparent')[0] as string | undefined;
    await tracer.startActiveSpan('handler.getStock', async (span) => {
      await sleep(1);
      span.end();
    });
    if (sku === 'missing') throw new RpcError(Status.NOT_FOUND, 'no such SKU');
    if (sku === 'exhausted') throw new RpcError(Status.FAILED_PRECONDITION, 'not enough stock');
    if (sku === 'boom') throw new Error('a bug');
    if (sku === 'slow') await sleep(60_000, undefined, { signal: callSignal(call) });
    return { stock: undefined, servedBy: 'traced' };
  }

  @UseInterceptors(PassInterceptor)
  reserveStock(_request: ReserveStockRequest): ReserveStockResponse {
    tracer.startSpan('handler.reserveStock').end();
    return { reservation: undefined, stock: undefined };
  }

  releaseReservation(): never {
    throw new RpcError(Status.UNIMPLEMENTED, 'not in this test');
  }

  importStock(): never {
    throw new Error('not used by this test');
  }

  followStock(): never {
    throw new Error('not used by this test');
  }

  confirmReservations(): never {
    throw new Error('not used by this test');
  }

  async *watchStock({ skus }: WatchStockRequest): AsyncIterable<StockEvent> {
    for (let version = 1n; skus.includes('forever') || version <= 2n; version++) {
      yield {
        event: {
          $case: 'changed',
          changed: { sku: skus[0] ?? '', available: 1n, reserved: 0n, version, updatedAt: new Date(0) },
        },
        emittedAt: undefined,
      };
      await sleep(2);
    }
  }
}

describe('gRPC tracing over real gRPC (TCP, port 0)', { timeout: 120_000 }, () => {
  let fixture: FixtureApp;
  let port: number;
  let instanceId: string;

  before(async () => {
    fixture = await startFixtureApp({ controller: TracedController, providers: [PassInterceptor] });
    const server = fixture.app.get(MeshGrpcServer);
    port = server.port;
    instanceId = server.instance!.id;
  });
  after(async () => {
    await fixture?.app.close();
    await telemetry.stop();
  });
  beforeEach(() => telemetry.resetSpans());

  it('links caller → CLIENT → SERVER → handler spans in one trace, with traceparent in the metadata', async () => {
    await tracer.startActiveSpan('caller', async (caller) => {
      await fixture.client.getStock({ sku: 'A-1' });
      caller.end();
    });
    await settle(telemetry, GET_STOCK, 2);
    const caller = telemetry.span('caller');
    const [client, server] = [SpanKind.CLIENT, SpanKind.SERVER].map((kind) => {
      const found = telemetry.spans().filter((span) => span.name === GET_STOCK && span.kind === kind);
      assert.equal(found.length, 1, `one ${SpanKind[kind]} span`);
      return found[0];
    });
    const handler = telemetry.span('handler.getStock');
    const traceId = caller.spanContext().traceId;
    for (const span of [client, server, handler]) assert.equal(span.spanContext().traceId, traceId);
    assert.equal(client.parentSpanContext?.spanId, caller.spanContext().spanId);
    assert.equal(server.parentSpanContext?.spanId, client.spanContext().spanId);
    assert.equal(server.parentSpanContext?.isRemote, true);
    assert.equal(handler.parentSpanContext?.spanId, server.spanContext().spanId);
    assert.equal(seen.traceparent, `00-${traceId}-${client.spanContext().spanId}-01`);

    assert.deepEqual(
      {
        system: client.attributes['rpc.system.name'],
        method: client.attributes['rpc.method'],
        status: client.attributes['rpc.status_code'],
        address: client.attributes['server.address'],
        port: client.attributes['server.port'],
        instance: client.attributes['nestmesh.instance.id'],
      },
      { system: 'grpc', method: GET_STOCK, status: 'OK', address: '127.0.0.1', port, instance: instanceId },
    );
    assert.equal(client.status.code, SpanStatusCode.UNSET);
    assert.equal(server.attributes['rpc.status_code'], 'OK');
    assert.equal(server.attributes['server.port'], port);
    assert.equal(server.attributes['error.type'], undefined);
  });

  it('records the status name on both sides; only server faults make the SERVER span an error', async () => {
    const cases = [
      { sku: 'missing', name: 'NOT_FOUND', serverError: false },
      { sku: 'exhausted', name: 'FAILED_PRECONDITION', serverError: false },
      { sku: 'boom', name: 'INTERNAL', serverError: true },
    ];
    for (const { sku, name, serverError } of cases) {
      telemetry.resetSpans();
      await assert.rejects(
        fixture.client.getStock({ sku }),
        (error: RpcError) => Status[error.status] === name,
      );
      await settle(telemetry, GET_STOCK, 2);
      const client = telemetry.spans().find((span) => span.kind === SpanKind.CLIENT)!;
      const server = telemetry.spans().find((span) => span.kind === SpanKind.SERVER)!;
      assert.equal(client.attributes['rpc.status_code'], name, sku);
      assert.equal(client.attributes['error.type'], name, sku);
      assert.equal(client.status.code, SpanStatusCode.ERROR, sku);
      assert.equal(server.attributes['rpc.status_code'], name, sku);
      assert.equal(server.status.code, serverError ? SpanStatusCode.ERROR : SpanStatusCode.UNSET, sku);
      assert.equal(server.attributes['error.type'], serverError ? name : undefined, sku);
    }
  });

  it('traces the Nest context path (an interceptor) with the handler inside the SERVER span', async () => {
    await fixture.client.reserveStock({ sku: 'B-2', orderId: 'o-1', quantity: 1n });
    await settle(telemetry, RESERVE, 2);
    const server = telemetry.spans().find((span) => span.name === RESERVE && span.kind === SpanKind.SERVER)!;
    const handler = telemetry.span('handler.reserveStock');
    assert.equal(handler.parentSpanContext?.spanId, server.spanContext().spanId);
    assert.equal(server.attributes['rpc.status_code'], 'OK');
  });

  it('traces server streams to their end, and a cancelled stream or call as CANCELLED', async () => {
    const received = [];
    for await (const event of fixture.client.watchStock({ skus: ['C-3'] })) received.push(event);
    assert.equal(received.length, 2);
    await settle(telemetry, WATCH, 2);
    for (const span of telemetry.spans().filter((span) => span.name === WATCH)) {
      assert.equal(span.attributes['rpc.status_code'], 'OK', SpanKind[span.kind]);
    }

    telemetry.resetSpans();
    for await (const event of fixture.client.watchStock({ skus: ['forever'] })) {
      assert.ok(event);
      break;
    }
    await settle(telemetry, WATCH, 2);
    for (const span of telemetry.spans().filter((span) => span.name === WATCH)) {
      assert.equal(span.attributes['rpc.status_code'], 'CANCELLED', SpanKind[span.kind]);
    }

    telemetry.resetSpans();
    const abort = new AbortController();
    const call = fixture.client.getStock({ sku: 'slow' }, { signal: abort.signal });
    await waitFor(() => telemetry.spans().some((span) => span.name === 'handler.getStock'), {
      description: 'the slow call to reach its handler',
    });
    abort.abort();
    await assert.rejects(call, (error: RpcError) => error.status === Status.CANCELLED);
    await settle(telemetry, GET_STOCK, 2);
    const server = telemetry
      .spans()
      .find((span) => span.name === GET_STOCK && span.kind === SpanKind.SERVER)!;
    assert.equal(server.attributes['rpc.status_code'], 'CANCELLED');
    assert.equal(server.status.code, SpanStatusCode.UNSET);
  });

  it('counts exactly the calls and errors made in rpc.{client,server}.call.duration (the client per instance)', async () => {
    const ok = { 'rpc.method': GET_STOCK, 'rpc.status_code': 'OK', 'rpc.system.name': 'grpc' };
    const missing = { ...ok, 'rpc.status_code': 'NOT_FOUND' };
    // The client's series carry the instance it reached: latency per upstream instance.
    const reached = { 'server.address': '127.0.0.1', 'server.port': port };
    const clientOkAttributes = { ...ok, ...reached };
    const clientMissingAttributes = { ...missing, 'error.type': 'NOT_FOUND', ...reached };
    const before = {
      clientOk: countOf(await telemetry.points('rpc.client.call.duration'), clientOkAttributes),
      clientMissing: countOf(await telemetry.points('rpc.client.call.duration'), clientMissingAttributes),
      serverOk: countOf(await telemetry.points('rpc.server.call.duration'), ok),
      serverMissing: countOf(await telemetry.points('rpc.server.call.duration'), missing),
    };
    for (let index = 0; index < 5; index++) await fixture.client.getStock({ sku: 'A-1' });
    for (let index = 0; index < 3; index++) {
      await assert.rejects(fixture.client.getStock({ sku: 'missing' }));
    }
    await settle(telemetry, GET_STOCK, 16);
    const client = await telemetry.points('rpc.client.call.duration');
    const server = await telemetry.points('rpc.server.call.duration');
    assert.equal(countOf(client, clientOkAttributes) - before.clientOk, 5);
    assert.equal(countOf(client, clientMissingAttributes) - before.clientMissing, 3);
    assert.equal(countOf(server, ok) - before.serverOk, 5);
    // A NOT_FOUND is the caller's error, not the server's: no error.type on the server side.
    assert.equal(countOf(server, missing) - before.serverMissing, 3);
    for (const point of [...client, ...server]) assert.ok(histogramCount(point) > 0);
  });
});
