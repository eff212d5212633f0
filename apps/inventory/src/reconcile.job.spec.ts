import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { ReservationStatus } from '@nestmesh/contracts/inventory/v1';
import { LeaderElectionService } from '@nestmesh/coordination';
import { ManualClock, startContext, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

import { InventoryModule } from './inventory.module.js';
import { ReconcileJob } from './reconcile.job.js';
import { StockStore } from './stock/stock.store.js';

const TTL_MS = 30_000;

// Two inventory instances with the reconcile job on (every 50 ms of real time), their
// reservations dated by one manual clock: time passes only when the test says so. On the
// memory store and the process's memory election, and on a real redis-server for both.
describe(
  'inventory reconcile job: the leader releases expired unconfirmed reservations',
  { timeout: 60_000 },
  () => {
    const apps: INestApplicationContext[] = [];
    let redis: RedisServer | undefined;
    after(async () => {
      await Promise.all(apps.map((app) => app.close()));
      await redis?.stop();
    });

    for (const backend of ['memory', 'redis'] as const)
      it(`${backend}: an abandoned reservation is released after its expiry, a confirmed one is not; a follower does not run`, async () => {
        const redisUrl = backend === 'redis' ? (redis ??= await startRedis()).url : undefined;
        const clock = new ManualClock();
        const name = randomUUID();
        const started: INestApplicationContext[] = [];
        for (let i = 0; i < 2; i++) {
          const app = await startContext(
            InventoryModule.forRoot({
              discoveryUrl: `memory://${name}`,
              stockStore: name,
              redisUrl,
              seed: { 'REC-1': 10n },
              reconcile: { everyMs: 50 },
              reservations: { ttlMs: TTL_MS, clock },
              election: {
                url: redisUrl ?? 'memory://',
                group: `inventory-${name.slice(0, 8)}`,
                ttlMs: 1000,
                renewDeadlineMs: 700,
                retryIntervalMs: 50,
              },
              deregisterDelayMs: 0,
            }),
          );
          apps.push(app);
          started.push(app);
        }
        const elections = started.map((app) => app.get(LeaderElectionService));
        const leaderIndex = await waitFor(() => {
          const index = elections.findIndex((election) => election.isLeader);
          return index >= 0 ? index : undefined;
        });
        const [leader, follower] = [started[leaderIndex], started[1 - leaderIndex]];
        const store = started[0].get<StockStore>(StockStore);
        const abandoned = await store.reserve(
          { orderId: `abandoned-${name}`, sku: 'REC-1', quantity: 3n },
          'test',
        );
        await store.reserve({ orderId: `placed-${name}`, sku: 'REC-1', quantity: 2n }, 'test');
        await store.confirm(`placed-${name}`);

        const level = () => store.level('REC-1');
        assert.deepEqual(await leader.get(ReconcileJob).run(), [], 'nothing has expired yet');
        assert.equal(await follower.get(ReconcileJob).run(), undefined, 'the follower does not run the job');
        assert.deepEqual([(await level())?.available, (await level())?.reserved], [5n, 5n]);

        await clock.advance(TTL_MS);
        await waitFor(async () => (await level())?.available === 8n, {
          description: 'the leader to release the abandoned reservation',
        });
        assert.equal((await level())?.reserved, 2n, 'the confirmed reservation is still held');
        const again = await store
          .reserve({ orderId: abandoned.reservation.orderId, sku: 'REC-1', quantity: 3n }, 'test')
          .catch((error: unknown) => error);
        assert.ok(
          again instanceof Error && /was released/.test(again.message),
          'the abandoned order stays released',
        );
        const confirmed = await store.confirm(`placed-${name}`);
        assert.equal(confirmed[0]?.status, ReservationStatus.RESERVATION_STATUS_CONFIRMED);
      });
  },
);
