import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { postJson, startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

interface OrderBody {
  id: string;
  items: { sku: string; quantity: number; reservedBy: string }[];
}

describe('order → inventory over gRPC, through the HTTP edge', () => {
  let cluster: EmbeddedCluster;
  before(
    async () => (cluster = await startEmbeddedCluster({ seed: { 'A-1': 1000n, 'B-2': 100n, 'C-3': 5n } })),
  );
  after(() => cluster?.close());

  it('an HTTP order reserves stock on an inventory instance and can be read back', async () => {
    const before = (await (await fetch(`${cluster.url}/stock/A-1`)).json()) as { available: number };
    const placed = await postJson(`${cluster.url}/orders`, { items: [{ sku: 'A-1', quantity: 2 }] });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const order = placed.body as unknown as OrderBody;
    assert.ok(cluster.inventoryIds().includes(order.items[0].reservedBy));
    const after = (await (await fetch(`${cluster.url}/stock/A-1`)).json()) as {
      available: number;
      reserved: number;
    };
    assert.equal(after.available, before.available - 2);

    const read = await fetch(`${cluster.url}/orders/${order.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(((await read.json()) as OrderBody).items, order.items);
  });

  it('20 orders of two items, each item reserved on a live inventory instance', async () => {
    const servedBy = new Map<string, number>();
    for (let index = 0; index < 20; index++) {
      const { status, body } = await postJson(`${cluster.url}/orders`, {
        items: [
          { sku: 'A-1', quantity: 1 },
          { sku: 'B-2', quantity: 1 },
        ],
      });
      assert.equal(status, 201);
      for (const { reservedBy } of (body as unknown as OrderBody).items)
        servedBy.set(reservedBy, (servedBy.get(reservedBy) ?? 0) + 1);
    }
    // The share is the balancer's business: p2c (the default) favours the faster instance and
    // probes the other once a second, so 20 quick orders may all go to one (its spread is
    // tested in libs/grpc's p2c.balancer.spec); an even share was round robin's promise.
    for (const instance of servedBy.keys()) assert.ok(cluster.inventoryIds().includes(instance), instance);
  });

  it('more than the stock: 409 with a clear message (FAILED_PRECONDITION underneath)', async () => {
    const { status, body } = await postJson(`${cluster.url}/orders`, {
      items: [{ sku: 'C-3', quantity: 6 }],
    });
    assert.equal(status, 409);
    assert.equal(body.code, 'FAILED_PRECONDITION');
    assert.match(String(body.detail), /C-3.*5 available, 6 requested/);
  });

  it('an order that fails on its second item releases the first (all or nothing)', async () => {
    const before = (await (await fetch(`${cluster.url}/stock/A-1`)).json()) as { available: number };
    const { status } = await postJson(`${cluster.url}/orders`, {
      items: [
        { sku: 'A-1', quantity: 3 },
        { sku: 'C-3', quantity: 99 },
      ],
    });
    assert.equal(status, 409);
    const after = (await (await fetch(`${cluster.url}/stock/A-1`)).json()) as { available: number };
    assert.equal(after.available, before.available);
  });

  it('unknown SKU: 404 (NOT_FOUND underneath); unknown order: 404', async () => {
    const { status, body } = await postJson(`${cluster.url}/orders`, {
      items: [{ sku: 'NOPE-1', quantity: 1 }],
    });
    assert.equal(status, 404);
    assert.equal(body.code, 'NOT_FOUND');
    assert.equal((await fetch(`${cluster.url}/orders/6f1c1d9e-1a34-4c5e-9a57-0b7f4f9f2b11`)).status, 404);
    assert.equal((await fetch(`${cluster.url}/stock/NOPE-1`)).status, 404);
  });

  it('invalid bodies: 400 with what is wrong, and nothing is reserved', async () => {
    const invalid: unknown[] = [
      {},
      { items: [] },
      { items: [{ sku: 'A-1', quantity: 0 }] },
      { items: [{ sku: 'A-1', quantity: 1.5 }] },
      { items: [{ sku: 'A-1', quantity: '2' }] },
      { items: [{ sku: '', quantity: 1 }] },
      { items: [{ sku: 'A-1', quantity: 1 }], extra: true },
    ];
    const before = (await (await fetch(`${cluster.url}/stock/A-1`)).json()) as { available: number };
    for (const body of invalid) {
      const response = await postJson(`${cluster.url}/orders`, body);
      assert.equal(response.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      assert.ok(response.body.detail, 'says what is wrong');
    }
    const malformed = await fetch(`${cluster.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"items": [',
    });
    assert.equal(malformed.status, 400);
    assert.equal((await fetch(`${cluster.url}/orders/not-a-uuid`)).status, 400);
    const after = (await (await fetch(`${cluster.url}/stock/A-1`)).json()) as { available: number };
    assert.equal(after.available, before.available);
  });
});
