import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRedisClient, type RedisClient } from '@nestmesh/coordination/redis';
import { startRedisCluster, waitFor, type RedisCluster, type RedisClusterNode } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';
import { assertSuccessOrTypedError } from './support/http-outcomes.js';
import { orderInWaves, orderOne, type OrderWaves } from './support/order-waves.js';
import {
  assertOrderHoldsItsReservation,
  CLUSTER_PREFIX,
  reservationsInRedis,
  stockInRedis,
} from './support/redis-stock.js';

const STOCK = 300;
const WAVE = 50;

/** A primary other than `node`. */
async function anotherPrimary(cluster: RedisCluster, node: RedisClusterNode): Promise<RedisClusterNode> {
  for (const candidate of cluster.nodes)
    if (candidate !== node && candidate.running && (await candidate.isPrimary())) return candidate;
  throw new Error('no other primary');
}

// Locks, stock and orders on one Redis Cluster through REDIS_URL=redis+cluster://…: the SKU
// locks spread over the primaries, the stock under the hash tag {inventory} (one slot), the
// orders over every slot.
describe(
  'inventory and orders on a Redis Cluster (3 primaries + 3 replicas), two instances',
  { timeout: 240_000 },
  () => {
    let cluster: RedisCluster;
    let apps: EmbeddedCluster;
    let client: RedisClient;
    before(async () => {
      cluster = await startRedisCluster();
      client = createRedisClient(cluster.url);
      // Slot migration is under test here, not replication: grants do not wait for a replica
      // (replicaAcks=0), whose WAIT a loaded machine can push past its 500 ms share of the deadline.
      apps = await startEmbeddedCluster({
        redisUrl: `${cluster.url}?replicaAcks=0`,
        seed: { 'HOT-1': BigInt(STOCK) },
      });
    });
    after(async () => {
      try {
        await apps?.close();
      } finally {
        client?.disconnect();
        await cluster?.stop();
      }
    });

    it('never oversells while the stock’s slot and the SKU lock’s slot migrate to other primaries under the load (ASK, then MOVED)', async (t) => {
      const stockSlot = await cluster.slotOf(`${CLUSTER_PREFIX}sku:{HOT-1}`);
      const lockSlot = await cluster.slotOf('nestmesh:lock:{sku:HOT-1}');
      const order = () => orderOne(apps.url, 'HOT-1', t.signal);
      // Waves of orders until both slots have moved and the stock is gone (sold out, an order
      // still takes the SKU's lock and reads its stock: the load goes on through the locks).
      // While the stock's slot moves key by key, its script gets TRYAGAIN and orders may time
      // out (docs/coordination.md), tripping the breaker toward inventory: waves without an
      // acknowledged order are excused until the slots have moved, and from then on progress
      // is an acknowledged order every ORDER_STALL_MS, not a count of waves.
      let migrating = true;
      const waves: OrderWaves = { results: [], tallies: [] };
      const { results } = waves;
      const load = orderInWaves(order, {
        size: WAVE,
        waves,
        excused: () => migrating,
        more: async () => migrating || (await stockInRedis(client, 'HOT-1', CLUSTER_PREFIX)).available > 0n,
      });
      load.catch(() => undefined); // a stall is awaited (and thrown) below, once the slots moved
      // Both slots move while orders are placed: a key at a time, so that the half-moved slot
      // answers ASK for a while; the lock's slot moves twice (there and on to a third node).
      const migrated: string[] = [];
      try {
        // After a first wave, so that the stock's slot holds its reservations, orders and pairs.
        await waitFor(() => results.length >= WAVE, {
          timeoutMs: 60_000,
          description: 'a first wave answered',
        });
        for (const slot of [stockSlot, lockSlot, lockSlot]) {
          const from = await cluster.primaryOfSlot(slot);
          const to = await anotherPrimary(cluster, from);
          await cluster.migrateSlot(slot, to, { keysPerBatch: 1, betweenBatches: () => sleep(10) });
          migrated.push(`${slot}: ${from.port} → ${to.port} after ${results.length} orders`);
        }
      } finally {
        migrating = false;
        await load;
      }
      t.diagnostic(`migrated ${migrated.join(', ')}`);
      t.diagnostic(`waves: ${waves.tallies.join(' ')}`);
      assertSuccessOrTypedError(results, 201, [409, 503, 504]);

      const acknowledged = results.filter((result) => result.status === 201);
      t.diagnostic(`${results.length} orders: ${acknowledged.length} acknowledged`);
      assert.ok(
        acknowledged.length <= STOCK,
        `${acknowledged.length} orders acknowledged for ${STOCK} units`,
      );
      const stock = await stockInRedis(client, 'HOT-1', CLUSTER_PREFIX);
      assert.equal(stock.available + stock.reserved, BigInt(STOCK), 'no unit appeared or vanished');
      const holder = new Redis((await cluster.primaryOfSlot(stockSlot)).port, '127.0.0.1');
      try {
        const reservations = await reservationsInRedis(holder, 'HOT-1', CLUSTER_PREFIX);
        assert.equal(
          reservations.reduce((sum, reservation) => sum + reservation.quantity, 0n),
          stock.reserved,
          'every reserved unit has its reservation',
        );
      } finally {
        holder.disconnect();
      }
      for (const { body } of acknowledged)
        await assertOrderHoldsItsReservation(client, String(body.id), CLUSTER_PREFIX);
      const orderSlots = new Set(
        await Promise.all(
          acknowledged.map(({ body }) => cluster.slotOf(`nestmesh:order:order:${String(body.id)}`)),
        ),
      );
      assert.ok(acknowledged.length < 2 || orderSlots.size > 1, 'orders spread over slots');
    });
  },
);
