import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, startWorkers, waitFor, type RedisServer } from '@nestmesh/testing';

import { postJson, startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';
import { assertSuccessOrTypedError, type HttpOutcome } from './support/http-outcomes.js';
import { assertOrderHoldsItsReservation, stockInRedis } from './support/redis-stock.js';

const INITIAL = 100_000;
const WORKERS = 8;
// Liveness bounds for a loaded machine, not claims about speed.
const PROGRESS_TIMEOUT_MS = 60_000;

describe('inventory on Redis: Redis restarted under load', () => {
  let redis: RedisServer;
  let cluster: EmbeddedCluster;
  before(async () => {
    redis = await startRedis({ persistent: true });
    cluster = await startEmbeddedCluster({ redisUrl: redis.url, seed: { 'R-1': BigInt(INITIAL) } });
  });
  after(async () => {
    try {
      await cluster?.close();
    } finally {
      await redis?.stop();
    }
  });

  it('orders fail with typed errors (503/504) while Redis is away, succeed again after, and no acknowledged order or unit is lost', async (t) => {
    const results: HttpOutcome[] = [];
    const placed: string[] = [];
    let restartedAt = Number.POSITIVE_INFINITY;
    let placedAfterRestart = 0;
    // The load stops when the test ends, passed or failed (t.signal), and aborts what it has in flight.
    const workers = startWorkers(
      WORKERS,
      async (signal) => {
        const startedAt = performance.now();
        const result = await postJson(
          `${cluster.url}/orders`,
          { items: [{ sku: 'R-1', quantity: 1 }] },
          { signal },
        );
        results.push(result);
        if (result.status === 201) {
          placed.push(String(result.body.id));
          if (startedAt > restartedAt) placedAfterRestart++;
        } else {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      },
      { signal: t.signal },
    );
    try {
      const waiting = { timeoutMs: PROGRESS_TIMEOUT_MS, signal: t.signal };
      await waitFor(() => placed.length >= 50, { ...waiting, description: '50 orders before the restart' });
      const failedBefore = results.length - placed.length;
      await redis.kill('SIGTERM');
      // Redis stays away until orders have seen it, however slow the machine.
      await waitFor(() => results.length - placed.length > failedBefore, {
        ...waiting,
        description: 'an order to fail while Redis is away',
      });
      await redis.start();
      restartedAt = performance.now();
      await waitFor(() => placedAfterRestart >= 50, {
        ...waiting,
        description: '50 orders after the restart',
      });
    } finally {
      await workers.stop();
    }

    // 503: a lock or store call found Redis away (UNAVAILABLE). 504: a call waited on a lock
    // whose holder was cut off by the restart until inventory's deadline (DEADLINE_EXCEEDED).
    assertSuccessOrTypedError(results, 201, [503, 504]);
    const client = new Redis(redis.url);
    try {
      const stock = await stockInRedis(client, 'R-1');
      assert.equal(stock.available + stock.reserved, BigInt(INITIAL), 'no unit appeared or vanished');
      assert.ok(stock.reserved >= BigInt(placed.length), 'every acknowledged order still holds its units');
      for (const id of placed) await assertOrderHoldsItsReservation(client, id);
    } finally {
      client.disconnect();
    }
  });
});
