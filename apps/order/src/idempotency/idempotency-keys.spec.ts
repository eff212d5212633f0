import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Order } from '@nestmesh/contracts/order/v1';

import { IdempotencyKeyReusedError } from '../order.errors.js';
import { IdempotencyKeys } from './idempotency-keys.js';

const order = (orderId: string): Order => ({ orderId, items: [], status: 1, createdAt: new Date(0) });

describe('IdempotencyKeys', () => {
  it('one placement per key and fingerprint; another fingerprint is refused', async () => {
    const keys = new IdempotencyKeys();
    let placements = 0;
    const place = () => Promise.resolve(order(`o${++placements}`));
    const first = keys.run('k', 'f1', place);
    const second = keys.run('k', 'f1', place);
    assert.deepEqual([first.replayed, second.replayed], [false, true]);
    assert.equal((await second.order).orderId, 'o1');
    assert.equal(placements, 1);
    assert.throws(() => keys.run('k', 'f2', place), IdempotencyKeyReusedError);
  });

  it('a failed placement forgets its key', async () => {
    const keys = new IdempotencyKeys();
    await assert.rejects(keys.run('k', 'f1', () => Promise.reject(new Error('no stock'))).order);
    const retry = keys.run('k', 'f2', () => Promise.resolve(order('o2')));
    assert.equal(retry.replayed, false);
    assert.equal((await retry.order).orderId, 'o2');
  });

  it('remembers at most maxKeys keys, forgetting the oldest', async () => {
    const keys = new IdempotencyKeys(2);
    for (const key of ['a', 'b', 'c']) await keys.run(key, key, () => Promise.resolve(order(key))).order;
    assert.equal(
      keys.run('a', 'other', () => Promise.resolve(order('a2'))).replayed,
      false,
      'a was forgotten',
    );
    assert.throws(
      () => keys.run('c', 'other', () => Promise.resolve(order('c2'))),
      IdempotencyKeyReusedError,
    );
  });
});
