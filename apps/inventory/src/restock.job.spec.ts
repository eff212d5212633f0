import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { LeaderElectionService } from '@nestmesh/coordination';
import { startContext, waitFor } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

import { StaleEpochError } from './inventory.errors.js';
import { InventoryModule } from './inventory.module.js';
import { RestockJob } from './restock.job.js';
import { StockStore } from './stock/stock.store.js';

// Two inventory instances in this process share a memory stock store and the process's memory
// election (the same code runs on Redis/etcd by ELECTION_URL; the election suites cover those).
describe('inventory restock job: leader only, fenced by the leadership epoch', () => {
  const apps: INestApplicationContext[] = [];
  after(() => Promise.all(apps.map((app) => app.close())));

  it('only the leader restocks; after it stops the other does, and the old epoch is refused', async () => {
    const stockStore = randomUUID();
    const election = {
      group: `inventory-${randomUUID().slice(0, 8)}`,
      ttlMs: 1000,
      renewDeadlineMs: 700,
      retryIntervalMs: 50,
    };
    for (let i = 0; i < 2; i++) {
      apps.push(
        await startContext(
          InventoryModule.forRoot({
            discoveryUrl: `memory://${stockStore}`,
            stockStore,
            seed: { LOW: 3n, PLENTY: 500n },
            restock: { everyMs: 50, below: 10n, to: 100n },
            election,
            deregisterDelayMs: 0,
          }),
        ),
      );
    }
    const store = apps[0]!.get<StockStore>(StockStore);
    const elections = apps.map((app) => app.get(LeaderElectionService));
    const leaderIndex = await waitFor(() => {
      const index = elections.findIndex((e) => e.isLeader);
      return index >= 0 ? index : undefined;
    });
    const [leader, follower] = [apps[leaderIndex]!, apps[1 - leaderIndex]!];
    await waitFor(async () => (await store.level('LOW'))?.available === 100n, {
      description: 'the leader to restock LOW',
    });
    assert.equal((await store.level('PLENTY'))?.available, 500n, 'a SKU with enough stock is left alone');
    assert.equal(await follower.get(RestockJob).run(), undefined, 'the follower does not run the job');

    const oldEpoch = elections[leaderIndex]!.leadership!.epoch;
    await leader.close();
    apps.splice(apps.indexOf(leader), 1);
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
