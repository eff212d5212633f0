import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InventoryServiceService, type StockEvent } from '@nestmesh/contracts/inventory/v1';
import { meshClientToken, type MeshClient } from '@nestmesh/grpc';

import { postJson, startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

describe('inventory WatchStock through the mesh client', () => {
  let cluster: EmbeddedCluster;
  before(async () => (cluster = await startEmbeddedCluster({ seed: { 'A-1': 100n, 'B-2': 7n } })));
  after(() => cluster?.close());

  it('streams a snapshot, then each change made through any instance, until the caller stops', async (t) => {
    const inventory: MeshClient<typeof InventoryServiceService> = cluster.order.get(
      meshClientToken(InventoryServiceService),
    );
    const controller = new AbortController();
    const events: StockEvent[] = [];
    // The test's own signal too: an event that never comes ends the stream with the test.
    const stream = inventory
      .watchStock({ skus: ['A-1'] }, { signal: AbortSignal.any([controller.signal, t.signal]) })
      [Symbol.asyncIterator]();

    events.push((await stream.next()).value as StockEvent);
    for (const quantity of [3, 4]) {
      const { status } = await postJson(`${cluster.url}/orders`, { items: [{ sku: 'A-1', quantity }] });
      assert.equal(status, 201);
      events.push((await stream.next()).value as StockEvent);
    }
    await postJson(`${cluster.url}/orders`, { items: [{ sku: 'B-2', quantity: 1 }] }); // not watched

    assert.deepEqual(
      events.map(({ event }) => [
        event?.$case,
        event?.$case === 'snapshot'
          ? event.snapshot.available
          : event?.$case === 'changed' && event.changed.available,
      ]),
      [
        ['snapshot', 100n],
        ['changed', 97n],
        ['changed', 93n],
      ],
    );
    controller.abort();
    await assert.rejects(stream.next(), /CANCELLED/);
  });
});
