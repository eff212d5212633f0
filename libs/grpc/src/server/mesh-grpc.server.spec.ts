import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import { InventoryServiceService, ReservationStatus } from '@nestmesh/contracts/inventory/v1';
import { HealthCheckResponse_ServingStatus as ServingStatus } from '@nestmesh/contracts/grpc/health/v1';
import type { INestApplicationContext } from '@nestjs/common';
import { startContext, waitFor } from '@nestmesh/testing';

import { meshClientToken } from '../client/mesh-client.module.js';
import type { MeshClient } from '../client/typed-client.js';
import { RpcError } from '../grpc.errors.js';
import {
  FIXED_DATE,
  FixtureLog,
  FixtureModule,
  MAX_INT64,
  MIN_INT64,
} from '../test-fixtures/fixture-inventory.js';
import { healthClient, rawClient, rawUnary, reflect } from '../test-fixtures/raw-clients.js';
import { MeshGrpcServer } from './mesh-grpc.server.js';

type Inventory = MeshClient<typeof InventoryServiceService>;

async function rejectsWithStatus(promise: Promise<unknown>, status: Status): Promise<RpcError> {
  const error = await promise.then(
    () => assert.fail(`expected ${Status[status]}, the call succeeded`),
    (error: unknown) => error,
  );
  assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`);
  assert.equal(Status[error.status], Status[status], error.message);
  return error;
}

describe('gRPC server and typed client over TCP', () => {
  let app: INestApplicationContext;
  let client: Inventory;
  let log: FixtureLog;
  let port: number;

  before(async () => {
    app = await startContext(FixtureModule.forRoot({ registry: `memory://${randomUUID()}` }));
    client = app.get(meshClientToken(InventoryServiceService));
    log = app.get(FixtureLog);
    port = app.get(MeshGrpcServer).port;
  });
  after(() => app.close());

  it('int64 extremes, enums, oneofs and Timestamps round-trip exactly as typed', async () => {
    const { stock } = await client.getStock({ sku: 'plain' });
    assert.equal(typeof stock!.available, 'bigint');
    assert.equal(stock!.available, MAX_INT64);
    assert.equal(stock!.reserved, MIN_INT64);
    assert.ok(stock!.updatedAt instanceof Date);
    assert.equal(stock!.updatedAt.getTime(), FIXED_DATE.getTime());

    const { reservation } = await client.reserveStock({ orderId: 'o-1', sku: 's', quantity: MAX_INT64 });
    const received = log.requests.at(-1) as { quantity: unknown };
    assert.equal(typeof received.quantity, 'bigint', 'the server sees a bigint, not a Long or a string');
    assert.equal(received.quantity, MAX_INT64);
    assert.equal(reservation!.quantity, MAX_INT64);
    assert.equal(reservation!.status, ReservationStatus.RESERVATION_STATUS_RELEASED);
    assert.equal(reservation!.reservedAt!.getTime(), FIXED_DATE.getTime());

    const byOrder = await client.releaseReservation({ target: { $case: 'orderId', orderId: 'o-7' } });
    assert.deepEqual(log.requests.at(-1), { target: { $case: 'orderId', orderId: 'o-7' } });
    assert.equal(byOrder.released[0].orderId, 'o-7');
    await client.releaseReservation({ target: { $case: 'reservationId', reservationId: 'r-9' } });
    assert.deepEqual(log.requests.at(-1), { target: { $case: 'reservationId', reservationId: 'r-9' } });
    await client.releaseReservation({ target: undefined });
    assert.deepEqual(log.requests.at(-1), { target: undefined }, 'an unset oneof stays unset');

    const events = [];
    for await (const event of client.watchStock({ skus: ['w'] })) events.push(event);
    assert.deepEqual(
      events.map((event) => event.event?.$case),
      ['snapshot', 'changed', 'changed'],
    );
    const last = events.at(-1)!.event;
    assert.ok(last?.$case === 'changed');
    assert.equal(last.changed.reserved, MAX_INT64);
    assert.equal(events[0].emittedAt!.getTime(), FIXED_DATE.getTime());
  });

  it('a domain error whose code is NOT_FOUND reaches the caller as NOT_FOUND, not UNKNOWN', async () => {
    const error = await rejectsWithStatus(client.getStock({ sku: 'missing:X' }), Status.NOT_FOUND);
    assert.equal(error.details, 'no SKU X');
  });

  it('an RpcError thrown by a handler keeps its status and details', async () => {
    const error = await rejectsWithStatus(client.getStock({ sku: 'denied' }), Status.PERMISSION_DENIED);
    assert.equal(error.details, 'not yours');
  });

  it('an unexpected error becomes INTERNAL without leaking its message', async () => {
    const error = await rejectsWithStatus(client.getStock({ sku: 'boom' }), Status.INTERNAL);
    assert.doesNotMatch(error.details, /secret/);
  });

  it('a handler slower than the deadline: DEADLINE_EXCEEDED at the caller, cancellation at the server', async () => {
    await rejectsWithStatus(
      client.getStock({ sku: 'slow:5000' }, { timeoutMs: 50 }),
      Status.DEADLINE_EXCEEDED,
    );
    await waitFor(() => log.inFlight === 0, { description: 'the handler to see the deadline' });
  });

  it('aborting the signal cancels the call: CANCELLED at the caller, the handler stops', async () => {
    const controller = new AbortController();
    const call = client.getStock({ sku: 'slow:5000' }, { signal: controller.signal });
    await waitFor(() => log.inFlight === 1, { description: 'the call to reach the handler' });
    controller.abort();
    await rejectsWithStatus(call, Status.CANCELLED);
    await waitFor(() => log.inFlight === 0, { description: 'the handler to see the cancellation' });
  });

  it('breaking out of a server stream cancels it on the server', async () => {
    let received = 0;
    for await (const _event of client.watchStock({ skus: ['forever'] })) {
      if (++received === 3) break;
    }
    await waitFor(() => log.requests.includes('stream-aborted'), {
      description: 'the producer to be aborted',
    });
  });

  it('an unknown method answers UNIMPLEMENTED', async () => {
    const raw = rawClient(port);
    try {
      assert.equal(
        (await rawUnary(raw, '/inventory.v1.InventoryService/NoSuchMethod', Buffer.alloc(0))).code,
        Status.UNIMPLEMENTED,
      );
      assert.equal(
        (await rawUnary(raw, '/nope.v1.Nothing/Call', Buffer.alloc(0))).code,
        Status.UNIMPLEMENTED,
      );
    } finally {
      raw.close();
    }
  });

  it('a malformed protobuf payload gets a non-OK status and the server keeps serving', async () => {
    const raw = rawClient(port);
    try {
      // Field 1, length-delimited, claims 100 bytes and carries 2.
      const result = await rawUnary(
        raw,
        '/inventory.v1.InventoryService/GetStock',
        Buffer.from([0x0a, 0x64, 0x41, 0x42]),
      );
      assert.notEqual(result.code, Status.OK);
      assert.equal(Status[result.code], 'INTERNAL', result.details);
    } finally {
      raw.close();
    }
    assert.equal((await client.getStock({ sku: 'after' })).stock!.sku, 'after');
  });

  it('health answers SERVING for the server and each service, NOT_FOUND for unknown services', async () => {
    const health = healthClient(port);
    assert.equal((await health.check({ service: '' })).status, ServingStatus.SERVING);
    assert.equal(
      (await health.check({ service: 'inventory.v1.InventoryService' })).status,
      ServingStatus.SERVING,
    );
    await rejectsWithStatus(health.check({ service: 'nope.v1.Nothing' }), Status.NOT_FOUND);
  });

  it('reflection lists the served services and health, and serves their files', async () => {
    const listed = await reflect(port, { $case: 'listServices', listServices: '' });
    assert.equal(listed.messageResponse?.$case, 'listServicesResponse');
    const names = listed.messageResponse.listServicesResponse.service.map((service) => service.name);
    assert.ok(names.includes('inventory.v1.InventoryService'), names.join(', '));
    assert.ok(names.includes('grpc.health.v1.Health'), names.join(', '));
    assert.ok(!names.includes('order.v1.OrderService'), 'services this server does not serve are not listed');
    const files = await reflect(port, {
      $case: 'fileContainingSymbol',
      fileContainingSymbol: 'inventory.v1.InventoryService',
    });
    assert.equal(files.messageResponse?.$case, 'fileDescriptorResponse');
    assert.ok(files.messageResponse.fileDescriptorResponse.fileDescriptorProto.length >= 1);
  });
});
