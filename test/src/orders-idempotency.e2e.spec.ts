import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('POST /orders with an Idempotency-Key', { timeout: 60_000 }, () => {
  let cluster: EmbeddedCluster;
  before(async () => (cluster = await startEmbeddedCluster({ seed: { 'A-1': 1000n, 'B-2': 50n } })));
  after(() => cluster?.close());

  const post = async (body: unknown, key?: string): Promise<Answer> => {
    const response = await fetch(`${cluster.url}/orders`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === undefined ? {} : { 'idempotency-key': key }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Answer['body'],
    };
  };
  const available = async (sku: string) =>
    ((await (await fetch(`${cluster.url}/stock/${sku}`)).json()) as { available: number }).available;

  it('the same key and body: 201 again with the same order, reserved once', async () => {
    const before = await available('A-1');
    const first = await post({ items: [{ sku: 'A-1', quantity: 2 }] }, 'order-0001');
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('location'), `/orders/${String(first.body.id)}`);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    // The same request, its keys written in another order: the same canonical body.
    const again = await post('{"items":[{"quantity":2,"sku":"A-1"}]}', 'order-0001');
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body);
    assert.equal(await available('A-1'), before - 2, 'reserved once');
  });

  it('the same key with a different body: 422 IDEMPOTENCY_KEY_REUSED, nothing reserved', async () => {
    await post({ items: [{ sku: 'B-2', quantity: 1 }] }, 'order-0002');
    const before = await available('B-2');
    const reused = await post({ items: [{ sku: 'B-2', quantity: 3 }] }, 'order-0002');
    assert.equal(reused.status, 422);
    assert.equal(reused.body.code, 'IDEMPOTENCY_KEY_REUSED');
    assert.equal(reused.body.type, 'about:blank');
    assert.equal(await available('B-2'), before);
  });

  it('concurrent requests with one key place one order', async () => {
    const before = await available('A-1');
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post({ items: [{ sku: 'A-1', quantity: 1 }] }, 'order-0003')),
    );
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([201]));
    assert.equal(new Set(answers.map((answer) => answer.body.id)).size, 1);
    assert.equal(await available('A-1'), before - 1);
  });

  it('a failed order does not keep its key: the retry may succeed', async () => {
    const failed = await post({ items: [{ sku: 'NOPE-1', quantity: 1 }] }, 'order-0004');
    assert.equal(failed.status, 404);
    const retried = await post({ items: [{ sku: 'A-1', quantity: 1 }] }, 'order-0004');
    assert.equal(retried.status, 201);
  });

  it('bad keys are 400 naming the header; a quoted (structured-field) key is accepted', async () => {
    for (const key of ['', 'has space', 'x'.repeat(129), 'ünïcode', 'a,b']) {
      const answer = await post({ items: [{ sku: 'A-1', quantity: 1 }] }, key);
      assert.equal(answer.status, 400, JSON.stringify(key));
      assert.deepEqual(
        (answer.body.errors as { field: string }[]).map((error) => error.field),
        ['Idempotency-Key'],
      );
    }
    const quoted = await post({ items: [{ sku: 'A-1', quantity: 1 }] }, '"order-0005"');
    const bare = await post({ items: [{ sku: 'A-1', quantity: 1 }] }, 'order-0005');
    assert.equal(quoted.status, 201);
    assert.equal(bare.body.id, quoted.body.id, 'the quotes are not part of the key');
  });
});
