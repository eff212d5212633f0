import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import { postJson, startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

const INITIAL = 100_000;

describe('inventory on Redis: Redis restarted under load', () => {
  let redis: RedisServer;
  let cluster: EmbeddedCluster;
  before(async () => {
    redis = await startRedis({ persistent: true });
    cluster = await startEmbeddedCluster({ redisUrl: redis.url, seed: { 'R-1': BigInt(INITIAL) } });
  });
  after(async () => {
    await cluster.close();
    await redis.stop();
  });

  it('orders fail with typed errors (503/504) while Redis is away, succeed again after, and no acknowledged order or unit is lost', async () => {
    const placed: string[] = [];
    const statuses = new Map<number, number>();
    let restartedAt = Number.POSITIVE_INFINITY;
    let placedAfterRestart = 0;
    let running = true;
    const worker = async () => {
      while (running) {
        const { status, body } = await postJson(`${cluster.url}/orders`, {
          items: [{ sku: 'R-1', quantity: 1 }],
        });
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 201) {
          placed.push(String(body.id));
          if (performance.now() > restartedAt) placedAfterRestart++;
        } else {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await waitFor(() => placed.length >= 50, { description: '50 orders before the restart' });
    await redis.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.start();
    restartedAt = performance.now();
    await waitFor(() => placedAfterRestart >= 50, {
      timeoutMs: 20_000,
      description: '50 orders after the restart',
    });
    running = false;
    await Promise.all(workers);

    // 503: a lock or store call found Redis away (UNAVAILABLE). 504: a call waited on a lock
    // whose holder was cut off by the restart until inventory's deadline (DEADLINE_EXCEEDED).
    assert.deepEqual(
      [...statuses.keys()].filter((status) => ![201, 503, 504].includes(status)),
      [],
      `only 201, 503 and 504: ${JSON.stringify([...statuses])}`,
    );
    assert.ok((statuses.get(503) ?? 0) + (statuses.get(504) ?? 0) > 0, 'the outage was seen');
    const client = new Redis(redis.url);
    try {
      const stock = await client.hgetall('nestmesh:inventory:sku:{R-1}');
      assert.equal(Number(stock.available) + Number(stock.reserved), INITIAL, 'no unit appeared or vanished');
      assert.ok(Number(stock.reserved) >= placed.length, 'every acknowledged order still holds its units');
      for (const id of placed) {
        const reservations = await client.smembers(`nestmesh:inventory:order:${id}`);
        assert.equal(reservations.length, 1, `order ${id} kept its reservation`);
      }
    } finally {
      client.disconnect();
    }
  });
});
