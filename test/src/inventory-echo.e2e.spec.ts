import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { createMeshClient, MeshGrpcServer, RpcError, Status, type MeshClient } from '@nestmesh/grpc';

import { startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

/** 10 kB of caller input, with a marker that must not come back. */
const HUGE = `Z${'q'.repeat(10_000)}`;

async function failure(call: () => Promise<unknown>): Promise<RpcError> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof RpcError, String(error));
    return error;
  }
  return assert.fail('the call succeeded');
}

/** A message that names the value by its start and length, not by repeating it. */
function assertBounded(error: RpcError): void {
  assert.ok(
    error.details.length < 200,
    `${error.details.length} characters: ${error.details.slice(0, 120)}…`,
  );
  assert.ok(!error.details.includes('q'.repeat(100)), 'the value is not echoed');
  assert.match(error.details, /10001 characters/);
}

describe('inventory over gRPC never echoes a huge caller value back', { timeout: 60_000 }, () => {
  let cluster: EmbeddedCluster;
  let channel: Client;
  let inventory: MeshClient<typeof InventoryServiceService>;

  before(async () => {
    cluster = await startEmbeddedCluster({ inventories: 1, seed: { 'A-1': 10n } });
    const port = cluster.inventories[0].get(MeshGrpcServer).port;
    channel = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    inventory = createMeshClient(InventoryServiceService, channel, { timeoutMs: 10_000, streamTimeoutMs: 0 });
  });
  after(async () => {
    channel?.close();
    await cluster?.close();
  });

  it('GetStock and ReserveStock of a 10 kB SKU: NOT_FOUND naming its start and length', async () => {
    for (const call of [
      () => inventory.getStock({ sku: HUGE }),
      () => inventory.reserveStock({ orderId: 'o-1', sku: HUGE, quantity: 1n }),
    ]) {
      const error = await failure(call);
      assert.equal(error.status, Status.NOT_FOUND);
      assertBounded(error);
    }
  });

  it('ReleaseReservation of a 10 kB reservation id: NOT_FOUND, bounded', async () => {
    const error = await failure(() =>
      inventory.releaseReservation({ target: { $case: 'reservationId', reservationId: HUGE } }),
    );
    assert.equal(error.status, Status.NOT_FOUND);
    assertBounded(error);
  });

  it('WatchStock of a 10 kB SKU ends with NOT_FOUND, bounded', async () => {
    const error = await failure(async () => {
      for await (const _event of inventory.watchStock({ skus: [HUGE] })) {
        // the snapshot of an unknown SKU is never sent
      }
    });
    assert.equal(error.status, Status.NOT_FOUND);
    assertBounded(error);
  });
});
