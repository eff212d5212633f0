import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReservationStatus } from '@nestmesh/contracts/inventory/v1';
import { LockService, lockBackends, type ClosableLockBackend } from '@nestmesh/coordination';
import { startRedisCluster, type RedisCluster } from '@nestmesh/testing';

import { CLUSTER_STOCK_KEYS, STOCK_KEYS } from './redis-stock.reservations.js';
import { RedisStockStore } from './redis-stock.store.js';

/**
 * Each grant waits for a replica (replicaAcks=1, the cluster default) for half the command
 * deadline: on a loaded machine a replica may take longer than the 500 ms the default 1 s
 * deadline leaves, and the grant is then refused (as it should be in production).
 */
const LOADED_MACHINE = { commandTimeoutMs: 4_000 };

describe('RedisStockStore on a Redis Cluster (3 primaries + 3 replicas)', { timeout: 90_000 }, () => {
  let cluster: RedisCluster;
  let store: RedisStockStore;
  let backend: ClosableLockBackend;
  before(async () => {
    cluster = await startRedisCluster();
    backend = await lockBackends.create(cluster.url, LOADED_MACHINE);
    const locks = new LockService(backend);
    store = new RedisStockStore(cluster.url, locks);
  });
  after(async () => {
    await store?.close();
    await backend?.close?.();
    await cluster?.stop();
  });

  it('every key a script touches shares one slot (the hash tag {inventory}); single-Redis names would not', async () => {
    const names = (keys: typeof STOCK_KEYS) => [
      keys.sku('A-1'),
      keys.sku('B-{2}'),
      keys.skus,
      keys.restockEpoch,
      keys.expiring,
      keys.reservation('r-1'),
      keys.order('o-1'),
      keys.pair('o-1', 'A-1'),
    ];
    const clusterSlots = await Promise.all(names(CLUSTER_STOCK_KEYS).map((name) => cluster.slotOf(name)));
    assert.equal(new Set(clusterSlots).size, 1, clusterSlots.join(', '));
    const plainSlots = await Promise.all(names(STOCK_KEYS).map((name) => cluster.slotOf(name)));
    assert.ok(new Set(plainSlots).size > 1, 'without the tag the keys would be cross-slot');
  });

  it('reserves, releases, confirms, restocks and adds across SKUs, every script on the cluster', async () => {
    await store.seed({ 'A-1': 10n, 'B-{2}': 5n });
    const first = await store.reserve({ orderId: 'o-1', sku: 'A-1', quantity: 3n }, 'test');
    await store.reserve({ orderId: 'o-1', sku: 'B-{2}', quantity: 2n }, 'test');
    assert.equal(first.stock.available, 7n);
    const released = await store.release({ orderId: 'o-1' });
    assert.equal(released.length, 2, 'an order’s reservations of two SKUs released together');
    assert.equal((await store.level('B-{2}'))?.available, 5n);
    const second = await store.reserve({ orderId: 'o-2', sku: 'A-1', quantity: 1n }, 'test');
    const confirmed = await store.confirm('o-2');
    assert.equal(confirmed[0]?.reservationId, second.reservation.reservationId);
    assert.equal(confirmed[0]?.status, ReservationStatus.RESERVATION_STATUS_CONFIRMED);
    assert.equal((await store.restock('A-1', { below: 20n, to: 20n }, 1n))?.available, 20n);
    assert.equal((await store.add('C-3', 4n)).available, 4n);
    assert.deepEqual((await store.skus()).sort(), ['A-1', 'B-{2}', 'C-3']);
  });
});
