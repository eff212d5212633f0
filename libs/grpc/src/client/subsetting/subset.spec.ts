import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { clientOffset, ringOrder, subsetOf } from './subset.js';

/** Ids as MeshGrpcServer makes them: `<service>-<host>-<port>-<random>`. */
function instances(count: number, from = 0): { id: string }[] {
  return Array.from({ length: count }, (_, index) => ({
    id: `inventory-host${(from + index) % 10}-${50_000 + from + index}-${((from + index) * 2_654_435_761) % 4_294_967_296}`,
  }));
}

function subsets(list: readonly { id: string }[], clients: number, size: number): Set<string>[] {
  return Array.from(
    { length: clients },
    (_, index) => new Set(subsetOf(list, size, clientOffset(index, clients)).map(({ id }) => id)),
  );
}

function clientsPerInstance(list: readonly { id: string }[], clients: number, size: number): number[] {
  const counts = new Map(list.map(({ id }) => [id, 0]));
  for (const subset of subsets(list, clients, size)) {
    for (const id of subset) counts.set(id, counts.get(id)! + 1);
  }
  return [...counts.values()];
}

function replaced(before: Set<string>, after: Set<string>): number {
  return [...before].filter((id) => !after.has(id)).length;
}

describe('subsetOf', { timeout: 30_000 }, () => {
  it('gives every instance floor or ceil of C·K/N clients, for dense client indexes', () => {
    for (const [clients, count, size] of [
      [50, 300, 20],
      [300, 300, 20],
      [1_000, 150, 20],
      [7, 41, 5],
      [64, 1_000, 10],
    ] as const) {
      const perInstance = clientsPerInstance(instances(count), clients, size);
      const mean = (clients * size) / count;
      assert.equal(
        perInstance.reduce((sum, each) => sum + each, 0),
        clients * size,
      );
      for (const each of perInstance) {
        assert.ok(
          each >= Math.floor(mean) && each <= Math.ceil(mean),
          `${clients}×${size} over ${count}: ${each}`,
        );
      }
    }
  });

  it('keeps the busiest instance within 1.2× the mean at 50 clients, 300 instances, 20 each', () => {
    const perInstance = clientsPerInstance(instances(300), 50, 20);
    const mean = (50 * 20) / 300;
    assert.ok(Math.max(...perInstance) / mean <= 1.2 + 1e-9);
  });

  it('replaces at most two members of a subset when one instance comes or goes', () => {
    const list = instances(300);
    const before = subsets(list, 50, 20);
    for (const changed of [[...list, ...instances(1, 300)], list.filter((_, index) => index !== 123)]) {
      const after = subsets(changed, 50, 20);
      const churn = before.map((subset, index) => replaced(subset, after[index]));
      assert.ok(Math.max(...churn) <= 2, `max churn ${Math.max(...churn)}`);
      // About one on average: most windows shift by at most one place.
      assert.ok(churn.reduce((sum, each) => sum + each, 0) / churn.length <= 1.5);
    }
  });

  it('does not depend on the order of the list', () => {
    const list = instances(100);
    const reversed = [...list].reverse();
    assert.deepEqual(subsetOf(list, 20, 0.37), subsetOf(reversed, 20, 0.37));
  });

  it('gives the same subset in another process', () => {
    const list = instances(120);
    const here = subsetOf(list, 20, clientOffset(3, 17, 'order')).map(({ id }) => id);
    const script = `
      const { subsetOf, clientOffset } = await import(${JSON.stringify(new URL('./subset.js', import.meta.url).href)});
      const list = JSON.parse(process.argv[1]);
      console.log(JSON.stringify(subsetOf(list, 20, clientOffset(3, 17, 'order')).map(({ id }) => id)));`;
    const there = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(list)],
      {
        encoding: 'utf8',
      },
    );
    assert.deepEqual(JSON.parse(there), here);
  });

  it('takes every instance when there are no more than the size, and one of one', () => {
    const list = instances(12);
    assert.deepEqual(subsetOf(list, 20, 0.5), list);
    assert.deepEqual(subsetOf(instances(1), 20, 0.99), instances(1));
    assert.deepEqual(subsetOf([], 20, 0), []);
  });

  it('gives each of more clients than instances a full subset, still even', () => {
    const perInstance = clientsPerInstance(instances(30), 100, 7);
    assert.ok(Math.max(...perInstance) - Math.min(...perInstance) <= 1);
    for (const subset of subsets(instances(30), 100, 7)) assert.equal(subset.size, 7);
  });

  it('spreads a subset over hosts whose instance ids share a prefix', () => {
    const hostsOf = (subset: Set<string>) => new Set([...subset].map((id) => id.split('-')[1]));
    for (const subset of subsets(instances(300), 50, 20)) assert.ok(hostsOf(subset).size >= 5);
  });

  it('wraps any offset onto the ring and turns each calling service by its own amount', () => {
    assert.deepEqual(subsetOf(instances(50), 5, 1.25), subsetOf(instances(50), 5, 0.25));
    assert.deepEqual(subsetOf(instances(50), 5, 1 - Number.EPSILON / 4), subsetOf(instances(50), 5, 0));
    assert.notEqual(clientOffset(0, 10, 'order'), clientOffset(0, 10, 'billing'));
    assert.equal(ringOrder(instances(40)).length, 40);
  });
});
