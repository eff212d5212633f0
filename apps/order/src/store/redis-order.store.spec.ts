import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import { IdempotencyKeyInUseError, OrderStoreUnavailableError } from '../order.errors.js';
import { controlledPlacement, orderStoreContract, sampleOrder } from './order-store.contract.js';
import { RedisOrderStore } from './redis-order.store.js';

const recordKey = (key: string) => `nestmesh:order:idempotency:${key}`;

describe('RedisOrderStore (a real redis-server)', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  const opened: RedisOrderStore[] = [];
  const open = (options?: ConstructorParameters<typeof RedisOrderStore>[1]) => {
    const store = new RedisOrderStore(redis.url, options);
    opened.push(store);
    return store;
  };
  before(async () => (redis = await startRedis()));
  after(async () => {
    await Promise.allSettled(opened.map((store) => store.close()));
    await redis?.stop();
  });

  orderStoreContract('redis', () => {
    const [first, second] = [open(), open()];
    return Promise.resolve({ first, second, close: () => Promise.resolve() });
  });

  it('holds a key for the placement’s longest duration plus the margin, then keeps it for the retention', async () => {
    const store = open({ claimMarginMs: 1_000, idempotencyRetentionMs: 60_000 });
    const key = randomUUID();
    const control = controlledPlacement('f1');
    const running = store.placeOnce(key, { ...control.placement, placementTimeoutMs: 2_000 });
    await waitFor(() => control.runs() === 1, { description: 'the placement to start' });
    const claimTtl = await store.redis.pttl(recordKey(key));
    assert.ok(claimTtl > 0 && claimTtl <= 3_000, `claim TTL ${claimTtl} ms`);
    const order = sampleOrder();
    control.finish(order);
    await running;
    const retention = await store.redis.pttl(recordKey(key));
    assert.ok(retention > 3_000 && retention <= 60_000, `retention ${retention} ms`);
    assert.deepEqual(JSON.parse((await store.redis.get(recordKey(key)))!), {
      state: 'placed',
      fingerprint: 'f1',
      orderId: order.orderId,
    });
  });

  it('a failed placement deletes only its own claim, not one another request took over since', async () => {
    const store = open();
    const key = randomUUID();
    const control = controlledPlacement('f1');
    const running = store.placeOnce(key, control.placement);
    await waitFor(() => control.runs() === 1, { description: 'the placement to start' });
    // As if the claim had expired and another instance had claimed the key.
    const takenOver = JSON.stringify({ state: 'placing', fingerprint: 'f1', owner: 'another' });
    await store.redis.set(recordKey(key), takenOver, 'PX', 60_000);
    control.finish(new Error('no stock'));
    await assert.rejects(running, /no stock/);
    assert.equal(await store.redis.get(recordKey(key)), takenOver);
  });

  it('a request waiting on a key whose claim goes away (expired, released) places the order itself', async () => {
    const store = open();
    const key = randomUUID();
    await store.redis.set(
      recordKey(key),
      JSON.stringify({ state: 'placing', fingerprint: 'f1', owner: 'x' }),
    );
    const control = controlledPlacement('f1');
    const waiting = store.placeOnce(key, control.placement);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(control.runs(), 0, 'it waits while the key is claimed');
    await store.redis.del(recordKey(key));
    await waitFor(() => control.runs() === 1, { description: 'the waiting request to claim the key' });
    const order = sampleOrder();
    control.finish(order);
    assert.deepEqual(await waiting, { order, replayed: false });
  });

  it('gives up waiting with IdempotencyKeyInUseError after twice the claim’s lifetime (an injected clock)', async () => {
    let clockMs = 0;
    const claimLifetimeMs = 1_000; // placementTimeoutMs 1 000 + claimMarginMs 0
    const store = open({ claimMarginMs: 0, now: () => (clockMs += 400) });
    const key = randomUUID();
    await store.redis.set(
      recordKey(key),
      JSON.stringify({ state: 'placing', fingerprint: 'f1', owner: 'x' }),
    );
    const control = controlledPlacement('f1');
    await assert.rejects(
      store.placeOnce(key, { ...control.placement, placementTimeoutMs: claimLifetimeMs }),
      (error: unknown) => {
        assert.ok(error instanceof IdempotencyKeyInUseError);
        assert.equal(error.code, 'ABORTED');
        return true;
      },
    );
    assert.ok(clockMs >= 2 * claimLifetimeMs, `waited ${clockMs} ms on the clock`);
    assert.equal(control.runs(), 0);
  });

  it('Redis away: every operation fails with OrderStoreUnavailableError (UNAVAILABLE); back, it works again', async () => {
    const store = open();
    const order = sampleOrder();
    await store.save(order);
    await redis.kill();
    try {
      for (const attempt of [
        () => store.get(order.orderId),
        () => store.save(sampleOrder()),
        () => store.placeOnce(randomUUID(), controlledPlacement('f1').placement),
      ]) {
        await assert.rejects(attempt(), (error: unknown) => {
          assert.ok(error instanceof OrderStoreUnavailableError, String(error));
          assert.equal(error.code, 'UNAVAILABLE');
          assert.match(error.message, /^order: .*the order store is unavailable/);
          return true;
        });
      }
    } finally {
      await redis.start();
    }
    // Not persistent: the restarted server is empty, so a new order is saved and read back.
    const after = sampleOrder();
    await waitFor(() => store.save(after).then(() => true), { description: 'the store to reconnect' });
    assert.deepEqual(await store.get(after.orderId), after);
  });
});
