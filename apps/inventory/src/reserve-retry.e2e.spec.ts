import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { InventoryServiceService, ReservationStatus } from '@nestmesh/contracts/inventory/v1';
import { LockService } from '@nestmesh/coordination';
import { RpcError, Status, type MeshClient } from '@nestmesh/grpc';
import { startContext, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

import { InventoryModule } from './inventory.module.js';
import { StockStore } from './stock/stock.store.js';
import { startInventoryCaller } from './test-fixtures/inventory-caller.js';

// The timeout that used to reserve twice: a ReserveStock whose deadline passes while the
// server is still working on it (here: waiting for the SKU's lock, which the test holds) is
// made anyway once the lock is free; the caller, having seen DEADLINE_EXCEEDED, retries. One
// inventory instance on a real redis-server, called over the mesh (real gRPC on TCP).
describe('ReserveStock retried after DEADLINE_EXCEEDED reserves once', { timeout: 60_000 }, () => {
  const apps: INestApplicationContext[] = [];
  let redis: RedisServer;
  let client: MeshClient<typeof InventoryServiceService>;
  let inventory: INestApplicationContext;

  before(async () => {
    redis = await startRedis();
    const name = randomUUID();
    inventory = await startContext(
      InventoryModule.forRoot({
        discoveryUrl: `memory://${name}`,
        redisUrl: redis.url,
        seed: { 'RETRY-1': 10n },
        deregisterDelayMs: 0,
      }),
    );
    apps.push(inventory);
    const { app: caller, client: callerClient } = await startInventoryCaller(`memory://${name}`);
    apps.unshift(caller);
    client = callerClient;
  });
  after(async () => {
    for (const app of apps) await app.close();
    await redis?.stop();
  });

  it('the timed-out call reserves; the retry answers that reservation and moves no more stock', async () => {
    const store = inventory.get<StockStore>(StockStore);
    await client.getStock({ sku: 'RETRY-1' }); // connected: the next call is sent at once
    const busy = await inventory.get(LockService).acquire('sku:RETRY-1', { ttlMs: 10_000 });
    const request = { orderId: randomUUID(), sku: 'RETRY-1', quantity: 4n };
    const timedOut = await client.reserveStock(request, { timeoutMs: 300 }).catch((error: unknown) => error);
    assert.ok(timedOut instanceof RpcError && timedOut.status === Status.DEADLINE_EXCEEDED, String(timedOut));
    await busy.release();
    await waitFor(async () => (await store.level('RETRY-1'))?.reserved === 4n, {
      description: 'the timed-out call to reserve anyway (the bug this guards against)',
    });

    const retried = await client.reserveStock(request);
    assert.equal(retried.reservation?.status, ReservationStatus.RESERVATION_STATUS_RESERVED);
    const level = await store.level('RETRY-1');
    assert.deepEqual([level?.available, level?.reserved], [6n, 4n], 'reserved once in total');
    const { confirmed } = await client.confirmReservations({ orderId: request.orderId });
    assert.deepEqual(
      confirmed.map((r) => r.reservationId),
      [retried.reservation?.reservationId],
      'the order holds one reservation',
    );
  });
});
