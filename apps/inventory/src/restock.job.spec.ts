import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { LeaderElectionService } from '@nestmesh/coordination';
import { startContext, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

import { StaleEpochError } from './inventory.errors.js';
import { InventoryModule } from './inventory.module.js';
import { RestockJob } from './restock.job.js';
import { StockStore } from './stock/stock.store.js';

// Two inventory instances in this process: on the memory store and the process's memory
// election, and on a real redis-server for both stock and election.
describe('inventory restock job: leader only, fenced by the leadership epoch', () => {
  const apps: INestApplicationContext[] = [];
  let redis: RedisServer | undefined;
  after(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await redis?.stop();
  });

  for (const backend of ['memory', 'redis'] as const)
    it(`${backend}: only the leader restocks; after it stops the other does, and the old epoch is refused`, async () => {
      const redisUrl = backend === 'redis' ? (redis ??= await startRedis()).url : undefined;
      const stockStore = randomUUID();
      const election = {
        url: redisUrl ?? 'memory://',
        group: `inventory-${randomUUID().slice(0, 8)}`,
        ttlMs: 1000,
        renewDeadlineMs: 700,
        retryIntervalMs: 50,
      };
      const started: INestApplicationContext[] = [];
      for (let i = 0; i < 2; i++) {
        started.push(
          await startContext(
            InventoryModule.forRoot({
              discoveryUrl: `memory://${stockStore}`,
              stockStore,
              redisUrl,
              seed: { LOW: 3n, PLENTY: 500n },
              restock: { everyMs: 50, below: 10n, to: 100n },
              election,
              deregisterDelayMs: 0,
            }),
          ),
        );
      }
      apps.push(...started);
      let store = started[0].get<StockStore>(StockStore);
      const elections = started.map((app) => app.get(LeaderElectionService));
      const leaderIndex = await waitFor(() => {
        const index = elections.findIndex((e) => e.isLeader);
        return index >= 0 ? index : undefined;
      });
      const [leader, follower] = [started[leaderIndex], started[1 - leaderIndex]];
      await waitFor(async () => (await store.level('LOW'))?.available === 100n, {
        description: 'the leader to restock LOW',
      });
      assert.equal((await store.level('PLENTY'))?.available, 500n, 'a SKU with enough stock is left alone');
      assert.equal(await follower.get(RestockJob).run(), undefined, 'the follower does not run the job');

      const oldEpoch = elections[leaderIndex].leadership!.epoch;
      await leader.close();
      apps.splice(apps.indexOf(leader), 1);
      store = follower.get<StockStore>(StockStore); // on Redis each instance has its own client
      const next = follower.get(LeaderElectionService);
      await waitFor(() => next.isLeader, { description: 'the other instance to lead' });
      assert.ok(next.leadership!.epoch > oldEpoch);
      await store.reserve({ orderId: 'o1', sku: 'LOW', quantity: 95n }, 'test');
      await waitFor(async () => (await store.level('LOW'))?.available === 100n, {
        description: 'the new leader to restock LOW',
      });
      // A restock from the replaced leader's epoch (a paused process waking up) is refused.
      await store.reserve({ orderId: 'o2', sku: 'LOW', quantity: 95n }, 'test');
      await assert.rejects(store.restock('LOW', { below: 10n, to: 100n }, oldEpoch), StaleEpochError);
    });
});
