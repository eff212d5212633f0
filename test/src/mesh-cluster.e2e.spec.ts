import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startMeshCluster, type MeshCluster } from './fixtures/mesh-cluster.js';

describe('the mesh-cluster fixture', { timeout: 240_000 }, () => {
  let cluster: MeshCluster;
  before(async () => {
    cluster = await startMeshCluster({ inventories: 2 });
  });
  after(() => cluster?.stop());

  it('serves orders through two registered inventories', async () => {
    const ids = new Set(cluster.inventories.map((inventory) => inventory.id));
    assert.equal(ids.size, 2);
    const response = await fetch(`${cluster.order!.httpUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku: 'A-1', quantity: 1 }] }),
    });
    assert.equal(response.status, 201, await response.text());
    const metrics = await fetch(cluster.inventories[0].metricsUrl);
    assert.equal(metrics.status, 200);
  });
});
