import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials } from '@grpc/grpc-js';
import { OrderServiceService, type PlaceOrderRequest } from '@nestmesh/contracts/order/v1';
import {
  createMeshClient,
  fieldViolationsOf,
  MeshGrpcServer,
  RpcError,
  Status,
  type MeshClient,
} from '@nestmesh/grpc';

import { postJson, startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

const item = (sku: string, quantity: bigint) => ({ sku, quantity, reservationId: '', reservedBy: '' });

/** PlaceOrder's rejection; fails the test if the call succeeds. */
async function rejection(client: MeshClient<typeof OrderServiceService>, request: PlaceOrderRequest) {
  try {
    await client.placeOrder(request);
  } catch (error) {
    assert.ok(error instanceof RpcError, String(error));
    return error;
  }
  assert.fail(`PlaceOrder accepted ${JSON.stringify(request, (_, value: unknown) => String(value))}`);
}

describe('gRPC PlaceOrder validates like POST /orders (one set of rules)', { timeout: 60_000 }, () => {
  let cluster: EmbeddedCluster;
  let channel: Client;
  let orders: MeshClient<typeof OrderServiceService>;

  before(async () => {
    cluster = await startEmbeddedCluster({ seed: { 'A-1': 1000n } });
    channel = new Client(`127.0.0.1:${cluster.order.get(MeshGrpcServer).port}`, credentials.createInsecure());
    orders = createMeshClient(OrderServiceService, channel, { timeoutMs: 5000, streamTimeoutMs: 0 });
  });
  after(async () => {
    channel?.close();
    await cluster?.close();
  });

  it('bad items: INVALID_ARGUMENT with a google.rpc.BadRequest naming each field', async () => {
    const error = await rejection(orders, {
      items: [item('-bad', 1n), item('A-1', 0n), item('A-1', 2n ** 62n)],
      idempotencyKey: 'has space',
    });
    assert.equal(error.status, Status.INVALID_ARGUMENT);
    const violations = fieldViolationsOf(error.metadata);
    assert.deepEqual(
      violations.map((violation) => violation.field),
      ['items[0].sku', 'items[1].quantity', 'items[2].quantity', 'idempotency_key'],
    );
    assert.match(violations[2].description, /not be greater than 1000000/);
    assert.match(error.details, /items\[0\]\.sku: sku must be 1-64 letters/);
  });

  it('item count: none, and more than 100, are refused before anything is reserved', async () => {
    const none = await rejection(orders, { items: [], idempotencyKey: '' });
    assert.deepEqual(fieldViolationsOf(none.metadata), [
      { field: 'items', description: 'items must contain at least 1 elements' },
    ]);
    const many = Array.from({ length: 10_000 }, () => item('A-1', 1n));
    const tooMany = await rejection(orders, { items: many, idempotencyKey: '' });
    assert.deepEqual(
      fieldViolationsOf(tooMany.metadata).map((violation) => violation.field),
      ['items'],
      'one violation, not one per item',
    );
  });

  it('the same rules give the same field errors over HTTP', async () => {
    const http = await postJson(`${cluster.url}/orders`, {
      items: [
        { sku: '-bad', quantity: 1 },
        { sku: 'A-1', quantity: 0 },
      ],
    });
    const grpc = await rejection(orders, { items: [item('-bad', 1n), item('A-1', 0n)], idempotencyKey: '' });
    assert.deepEqual(
      (http.body.errors as { field: string; detail: string }[]).map(({ field, detail }) => ({
        field,
        description: detail,
      })),
      fieldViolationsOf(grpc.metadata),
    );
  });

  it('a 10 kB SKU is not echoed in the status message or the details', async () => {
    const long = 'S'.repeat(10_000);
    const error = await rejection(orders, { items: [item(long, 1n)], idempotencyKey: '' });
    assert.equal(error.status, Status.INVALID_ARGUMENT);
    assert.ok(!error.details.includes('S'.repeat(100)), `message of ${error.details.length} characters`);
    const details = error.metadata.get('grpc-status-details-bin').map(String).join('');
    assert.ok(!details.includes('S'.repeat(100)), 'details');
  });

  it('a valid order is placed; the same idempotency key with other items is FAILED_PRECONDITION', async () => {
    const first = await orders.placeOrder({ items: [item('A-1', 1n)], idempotencyKey: 'grpc-key-1' });
    const again = await orders.placeOrder({ items: [item('A-1', 1n)], idempotencyKey: 'grpc-key-1' });
    assert.equal(again.order?.orderId, first.order?.orderId);
    const other = await rejection(orders, { items: [item('A-1', 2n)], idempotencyKey: 'grpc-key-1' });
    assert.equal(other.status, Status.FAILED_PRECONDITION);
    assert.match(other.details, /idempotency key was already used/);
  });
});
