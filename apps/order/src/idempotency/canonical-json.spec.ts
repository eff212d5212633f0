import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { canonicalJson, fingerprint } from './canonical-json.js';

describe('canonicalJson / fingerprint', () => {
  it('the same value written with its keys in another order has one text and one fingerprint', () => {
    const a = { items: [{ sku: 'A-1', quantity: 2n }], note: undefined };
    const b = { items: [{ quantity: 2n, sku: 'A-1' }] };
    assert.equal(canonicalJson(a), '{"items":[{"quantity":"2","sku":"A-1"}]}');
    assert.equal(fingerprint(a), fingerprint(b));
  });

  it('different items, or the same items in another order, differ', () => {
    const one = {
      items: [
        { sku: 'A-1', quantity: 1n },
        { sku: 'B-2', quantity: 1n },
      ],
    };
    const swapped = { items: [one.items[1], one.items[0]] };
    const more = { items: [{ sku: 'A-1', quantity: 2n }, one.items[1]] };
    assert.notEqual(fingerprint(one), fingerprint(swapped));
    assert.notEqual(fingerprint(one), fingerprint(more));
    assert.match(fingerprint(one), /^[0-9a-f]{64}$/);
  });
});
