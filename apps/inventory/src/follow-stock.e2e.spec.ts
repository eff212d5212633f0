import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { InventoryServiceService, type StockEvent } from '@nestmesh/contracts/inventory/v1';
import { RpcError, Status, type MeshClient } from '@nestmesh/grpc';
import { startContext, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';

import { MAX_FOLLOWED_SKUS } from './follow-stock.js';
import { InventoryModule, type InventoryOptions } from './inventory.module.js';
import { MemoryStockStore } from './stock/memory-stock.store.js';
import { startInventoryCaller } from './test-fixtures/inventory-caller.js';

type Client = MeshClient<typeof InventoryServiceService>;

/** An inventory on port 0, a caller that finds it by name, and how many change feeds its store has open. */
interface Fixture {
  client: Client;
  openFeeds(): Promise<number>;
  inventory: INestApplicationContext;
  stop(): Promise<void>;
}

const SEED = { 'F-1': 100n, 'F-2': 100n, 'F-3': 100n };

async function startFixture(store: 'memory' | 'redis', options: InventoryOptions = {}): Promise<Fixture> {
  const name = randomUUID();
  const stops: (() => Promise<unknown>)[] = [];
  let redis: RedisServer | undefined;
  let openFeeds: () => Promise<number>;
  try {
    if (store === 'redis') {
      redis = await startRedis();
      stops.unshift(() => redis!.stop());
      const probe = new Redis(redis.url);
      stops.unshift(() => probe.quit());
      // The Redis store gives each open feed its own subscriber connection on one channel.
      openFeeds = async () =>
        ((await probe.pubsub('NUMSUB', 'nestmesh:inventory:changes')) as [string, number])[1];
    } else {
      const memory = MemoryStockStore.named(name, SEED);
      openFeeds = () => Promise.resolve(memory.openFeeds);
    }
    const inventory = await startContext(
      InventoryModule.forRoot({
        discoveryUrl: `memory://${name}`,
        stockStore: name,
        redisUrl: redis?.url,
        seed: SEED,
        deregisterDelayMs: 0,
        ...options,
      }),
    );
    stops.unshift(() => inventory.close());
    const { app: caller, client } = await startInventoryCaller(`memory://${name}`);
    stops.unshift(() => caller.close());
    const stop = async () => {
      for (const close of stops.splice(0)) await close();
    };
    return { client, openFeeds, inventory, stop };
  } catch (error) {
    for (const close of stops) await close();
    throw error;
  }
}

/** An event as [kind, SKU, available] ('unknownSku' has no level). */
function summary({ event }: StockEvent): [string, string, bigint?] {
  switch (event?.$case) {
    case 'snapshot':
      return ['snapshot', event.snapshot.sku, event.snapshot.available];
    case 'changed':
      return ['changed', event.changed.sku, event.changed.available];
    case 'unknownSku':
      return ['unknownSku', event.unknownSku];
    default:
      return ['none', ''];
  }
}

/** A FollowStock call whose events the test reads one at a time. */
function follow(client: Client, options: { signal?: AbortSignal; timeoutMs?: number } = {}) {
  const stream = client.followStock(options);
  const events = stream[Symbol.asyncIterator]();
  return {
    stream,
    async next(): Promise<[string, string, bigint?]> {
      const next = await events.next();
      assert.ok(!next.done, 'the stream ended');
      return summary(next.value);
    },
    /** Resolves once the stream has ended OK with no further event. */
    async ended(): Promise<void> {
      const next = await events.next();
      if (!next.done) assert.fail(`an event after the end: ${summary(next.value).join(' ')}`);
    },
  };
}

function rejectsWith(code: Status, details?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof RpcError, String(error));
    assert.equal(error.status, code, error.message);
    if (details) assert.match(error.details, details);
    return true;
  };
}

for (const store of ['memory', 'redis'] as const) {
  describe(`FollowStock: a bidirectional stock feed (${store} store)`, { timeout: 60_000 }, () => {
    let fixture: Fixture;
    before(async () => (fixture = await startFixture(store)));
    after(() => fixture?.stop());

    const reserve = (sku: string, quantity: bigint) =>
      fixture.client.reserveStock({ orderId: randomUUID(), sku, quantity });

    it('snapshots what it follows, then sends its changes; follows and unfollows mid-stream; ends OK on half-close', async () => {
      const feed = follow(fixture.client);
      await feed.stream.write({ follow: ['F-1'], unfollow: [] });
      assert.deepEqual(await feed.next(), ['snapshot', 'F-1', 100n]);
      assert.equal(await fixture.openFeeds(), 1);

      await reserve('F-1', 3n);
      assert.deepEqual(await feed.next(), ['changed', 'F-1', 97n]);
      await reserve('F-2', 1n); // not followed: never sent

      await feed.stream.write({ follow: ['F-2', 'F-1'], unfollow: [] }); // F-1 already followed: nothing
      assert.deepEqual(await feed.next(), ['snapshot', 'F-2', 99n]);
      await reserve('F-2', 4n);
      assert.deepEqual(await feed.next(), ['changed', 'F-2', 95n]);

      await feed.stream.write({ follow: [], unfollow: ['F-1'] });
      // Requests are applied in order: F-3's snapshot shows the unfollow has been read.
      await feed.stream.write({ follow: ['F-3'], unfollow: [] });
      assert.deepEqual(await feed.next(), ['snapshot', 'F-3', 100n]);
      await reserve('F-1', 5n); // unfollowed: its change, which comes first, must not be sent
      await reserve('F-2', 2n);
      assert.deepEqual(await feed.next(), ['changed', 'F-2', 93n]);

      feed.stream.end();
      await feed.ended();
      await waitFor(async () => (await fixture.openFeeds()) === 0, {
        description: 'the change feed released',
      });
    });

    it('an unknown SKU stays followed: `unknownSku`, then `changed` once an import creates it', async () => {
      const feed = follow(fixture.client);
      const sku = `NEW-${randomUUID()}`;
      await feed.stream.write({ follow: [sku], unfollow: [] });
      assert.deepEqual(await feed.next(), ['unknownSku', sku]);
      await fixture.client.importStock([{ sku, quantity: 7n }]);
      assert.deepEqual(await feed.next(), ['changed', sku, 7n]);
      feed.stream.end();
      await feed.ended();
    });

    it('a cancel (AbortSignal) ends the call on the server and releases its change feed', async () => {
      const controller = new AbortController();
      const feed = follow(fixture.client, { signal: controller.signal });
      await feed.stream.write({ follow: ['F-3'], unfollow: [] });
      assert.deepEqual((await feed.next())[0], 'snapshot');
      assert.equal(await fixture.openFeeds(), 1);
      controller.abort();
      await assert.rejects(feed.next(), rejectsWith(Status.CANCELLED));
      await waitFor(async () => (await fixture.openFeeds()) === 0, {
        description: 'the change feed released',
      });
    });

    it('a deadline in the middle of the stream ends it with DEADLINE_EXCEEDED and releases the feed', async () => {
      // Long enough for the snapshot on a loaded machine; the stream then waits for changes that never come.
      const feed = follow(fixture.client, { timeoutMs: 2_000 });
      await feed.stream.write({ follow: ['F-3'], unfollow: [] });
      assert.deepEqual((await feed.next())[0], 'snapshot');
      await assert.rejects(feed.next(), rejectsWith(Status.DEADLINE_EXCEEDED));
      await waitFor(async () => (await fixture.openFeeds()) === 0, {
        description: 'the change feed released',
      });
    });

    it('INVALID_ARGUMENT for an empty SKU or one both followed and unfollowed; RESOURCE_EXHAUSTED past the limit', async () => {
      const bad = [
        { follow: [''], unfollow: [] },
        { follow: [], unfollow: [''] },
        { follow: ['F-1'], unfollow: ['F-1'] },
      ];
      for (const request of bad) {
        const feed = follow(fixture.client);
        await feed.stream.write(request);
        await assert.rejects(
          feed.next(),
          rejectsWith(Status.INVALID_ARGUMENT, /^inventory: (sku is required|SKU "F-1" is both)/),
        );
      }
      const feed = follow(fixture.client);
      const many = Array.from({ length: MAX_FOLLOWED_SKUS + 1 }, (_, index) => `MANY-${index}`);
      await feed.stream.write({ follow: many, unfollow: [] });
      await assert.rejects(feed.next(), rejectsWith(Status.RESOURCE_EXHAUSTED, /at most 1000 SKUs/));
      await waitFor(async () => (await fixture.openFeeds()) === 0, {
        description: 'the change feeds released',
      });
    });
  });
}

describe('FollowStock during shutdown', { timeout: 60_000 }, () => {
  let fixture: Fixture;
  // Streams are served while the server drains, then cancelled after drainTimeoutMs.
  before(async () => (fixture = await startFixture('memory', { drainTimeoutMs: 200 })));
  after(() => fixture?.stop());

  it('an open feed is cancelled at the end of the drain, and its change feed released', async () => {
    const feed = follow(fixture.client);
    await feed.stream.write({ follow: ['F-1'], unfollow: [] });
    assert.deepEqual((await feed.next())[0], 'snapshot');
    const ended = assert.rejects(feed.next(), (error: unknown) => error instanceof RpcError);
    await fixture.inventory.close();
    await ended;
    await waitFor(async () => (await fixture.openFeeds()) === 0, { description: 'the change feed released' });
  });
});
