import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { RpcError, Status, type MeshClient } from '@nestmesh/grpc';
import { startContext } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';

import { InventoryModule } from './inventory.module.js';
import { startInventoryCaller } from './test-fixtures/inventory-caller.js';

/** Yields `requests` one at a time, each a turn later, as deliveries that arrive over time. */
async function* deliveries(requests: { sku: string; quantity: bigint }[]) {
  for (const request of requests) {
    await setImmediate();
    yield request;
  }
}

// One inventory instance on port 0 and a caller that finds it by service name, both on a
// memory:// discovery of their own; the stock is the in-process memory store.
describe('ImportStock: a client stream of deliveries over the mesh', { timeout: 30_000 }, () => {
  const apps: INestApplicationContext[] = [];
  let client: MeshClient<typeof InventoryServiceService>;

  before(async () => {
    const name = randomUUID();
    apps.push(
      await startContext(
        InventoryModule.forRoot({
          discoveryUrl: `memory://${name}`,
          stockStore: name,
          seed: { 'A-1': 10n },
          deregisterDelayMs: 0,
        }),
      ),
    );
    const { app: caller, client: callerClient } = await startInventoryCaller(`memory://${name}`);
    apps.unshift(caller);
    client = callerClient;
  });
  after(async () => {
    for (const app of apps) await app.close();
  });

  it('adds each delivery to its SKU, creating unknown SKUs, and counts SKUs and units', async () => {
    const response = await client.importStock(
      deliveries([
        { sku: 'A-1', quantity: 5n },
        { sku: 'NEW-1', quantity: 7n },
        { sku: 'A-1', quantity: 3n },
      ]),
    );
    assert.deepEqual(response, { skus: 2, units: 15n });
    assert.equal((await client.getStock({ sku: 'A-1' })).stock?.available, 18n);
    assert.equal((await client.getStock({ sku: 'NEW-1' })).stock?.available, 7n);
  });

  it('an empty stream adds nothing', async () => {
    assert.deepEqual(await client.importStock(deliveries([])), { skus: 0, units: 0n });
  });

  it('INVALID_ARGUMENT for a quantity below 1 or an empty SKU; the deliveries before it stay applied', async () => {
    const before = (await client.getStock({ sku: 'A-1' })).stock!.available;
    for (const bad of [
      { sku: 'A-1', quantity: 0n },
      { sku: 'A-1', quantity: -4n },
      { sku: '', quantity: 1n },
    ]) {
      await assert.rejects(
        client.importStock(deliveries([{ sku: 'A-1', quantity: 2n }, bad])),
        (error: unknown) => {
          assert.ok(error instanceof RpcError, String(error));
          assert.equal(error.status, Status.INVALID_ARGUMENT, error.message);
          assert.match(error.details, /quantity must be at least 1|sku is required/);
          return true;
        },
      );
    }
    assert.equal((await client.getStock({ sku: 'A-1' })).stock?.available, before + 6n);
    await assert.rejects(client.getStock({ sku: '' }), (error: unknown) => {
      assert.ok(error instanceof RpcError);
      return error.status === Status.NOT_FOUND;
    });
  });
});
