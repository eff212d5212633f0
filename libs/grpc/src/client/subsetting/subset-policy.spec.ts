import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRegistry, type ServiceInstance } from '@nestmesh/discovery';
import { waitFor } from '@nestmesh/testing';

import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import { SubsetPolicy } from './subset-policy.js';
import { clientOffset, subsetOf } from './subset.js';
import { DEFAULT_SUBSET_SIZE, subsetSettings } from './subset.options.js';

function instance(name: string, index: number): ServiceInstance {
  return { id: `${name}-${index}`, name, address: '127.0.0.1', port: 40_000 + index, tags: [], metadata: {} };
}

const inventory = Array.from({ length: 60 }, (_, index) => instance('inventory', index));

describe('subset options', { timeout: 10_000 }, () => {
  it('defaults to 20 instances above 40', () => {
    assert.deepEqual(subsetSettings(undefined), {
      size: DEFAULT_SUBSET_SIZE,
      threshold: 40,
      place: undefined,
    });
    assert.equal(subsetSettings(false), undefined);
    assert.deepEqual(subsetSettings({ size: 5, clientIndex: 2, clientCount: 3 }), {
      size: 5,
      threshold: 10,
      place: { clientIndex: 2, clientCount: 3 },
    });
  });

  it('refuses options that cannot work, naming the option', () => {
    const refused: [unknown, string][] = [
      [{ size: 0 }, 'subset.size'],
      [{ size: 2.5 }, 'subset.size'],
      [{ size: 10, threshold: 5 }, 'subset.threshold'],
      [{ clientIndex: 1 }, 'subset.clientCount'],
      [{ clientCount: 4 }, 'subset.clientIndex'],
      [{ clientIndex: 4, clientCount: 4 }, 'subset.clientIndex'],
      [{ clientIndex: -1, clientCount: 4 }, 'subset.clientIndex'],
      [{ clientIndex: 0, clientCount: 0 }, 'subset.clientCount'],
      [true, 'subset'],
      ['20', 'subset'],
    ];
    for (const [subset, option] of refused) {
      assert.throws(
        () => subsetSettings(subset as never),
        (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === option,
        JSON.stringify(subset),
      );
    }
  });
});

describe('SubsetPolicy', { timeout: 20_000 }, () => {
  it('takes every instance up to the threshold and the subset at the given place above it', () => {
    const registry = new MemoryRegistry();
    const policy = new SubsetPolicy(
      subsetSettings({ clientIndex: 1, clientCount: 3 })!,
      registry,
      () => undefined,
    );
    assert.equal(policy.pick(inventory.slice(0, 40)).length, 40);
    assert.deepEqual(policy.pick(inventory), subsetOf(inventory, 20, clientOffset(1, 3)));
    policy.close();
  });

  it("follows the client's rank among its own service's live instances", async () => {
    const registry = new MemoryRegistry();
    const orders = [instance('order', 0), instance('order', 1), instance('order', 2)];
    for (const each of orders) await registry.register(each);
    const policy = new SubsetPolicy(subsetSettings({ size: 5 })!, registry, () => orders[1]);
    let moves = 0;
    policy.onChange(() => moves++);
    try {
      const ids = (list: readonly ServiceInstance[]) => list.map(({ id }) => id).join();
      const atRank = (rank: number, count: number) =>
        ids(subsetOf(inventory, 5, clientOffset(rank, count, 'order')));
      policy.pick(inventory);
      await waitFor(() => ids(policy.pick(inventory)) === atRank(1, 3));
      await registry.deregister(orders[0]);
      await waitFor(() => ids(policy.pick(inventory)) === atRank(0, 2));
      assert.ok(moves >= 2);
      // Its own instance gone (draining): the last place stands.
      await registry.deregister(orders[1]);
      await registry.register(instance('order', 9));
      await waitFor(async () => (await registry.instances('order')).length === 2);
      assert.equal(ids(policy.pick(inventory)), atRank(0, 2));
    } finally {
      policy.close();
      registry.close();
    }
  });
});
