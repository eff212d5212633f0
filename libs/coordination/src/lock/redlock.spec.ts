import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import { LockUnavailableError } from '../coordination.errors.js';
import { RedisLockBackend } from './adapters/redis/redis.lock-backend.js';
import { RedlockBackend } from './adapters/redis/redlock.lock-backend.js';
import { LockService } from './lock.service.js';
import { lockBackendContract } from './testing/lock-backend.contract.js';

lockBackendContract('redlock over 3 real redis-servers', async () => {
  const nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
  // The contract is about lease semantics, not latency: a per-node deadline of 100 ms (the
  // default: a slow node is a failed node) failed the first acquire on a loaded machine.
  const backend = new RedlockBackend({ urls: nodes.map((node) => node.url), commandTimeoutMs: 1000 });
  return {
    backend,
    close: async () => {
      await backend.close();
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
});

/** Whether a fresh single-node backend can take and drop a lock on `url`. */
async function probe(url: string): Promise<boolean> {
  const single = new RedisLockBackend({ url });
  try {
    const key = `probe-${Math.random()}`;
    return (await single.acquire(key, 'probe', 100)) !== undefined;
  } catch {
    return false;
  } finally {
    await single.close();
  }
}

describe('redlock quorum mode (3 real redis-servers)', { timeout: 120_000 }, () => {
  let nodes: RedisServer[];
  let backend: RedlockBackend;
  let locks: LockService;
  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
    // Killed nodes fail at once (refused connections), so these tests do not need the default
    // 100 ms per-node deadline; on a loaded machine it failed every node of a healthy quorum.
    backend = new RedlockBackend({ urls: nodes.map((node) => node.url), commandTimeoutMs: 1000 });
    locks = new LockService(backend);
  });
  after(async () => {
    await backend.close();
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('one node down: locks still work; two down: LockUnavailableError with what each node said', async () => {
    await nodes[0].kill();
    const lock = await locks.tryAcquire('one-down', { ttlMs: 1000 });
    await lock.release();
    await nodes[1].kill();
    const error = await locks.tryAcquire('two-down').catch((caught: unknown) => caught);
    assert.ok(error instanceof LockUnavailableError, String(error));
    assert.equal(error.nodes.length, 3);
    assert.ok(
      error.nodes.some((line) => line.includes(nodes[2].url) && line.includes('granted')),
      error.nodes.join('; '),
    );
    await Promise.all([nodes[0].start(), nodes[1].start()]);
    // The clients reconnect with their own backoff; wait until every node answers again.
    await waitFor(
      async () => {
        const lock = await locks.tryAcquire(`probe-${Math.random()}`, { ttlMs: 1000 });
        await lock.release();
        return (await Promise.all(nodes.map((node) => probe(node.url)))).every(Boolean);
      },
      { timeoutMs: 10_000, intervalMs: 100, description: 'all nodes back' },
    );
  });

  it('a node restarted mid-run: holders never overlap and tokens keep increasing', async () => {
    const history: [number, number, bigint][] = [];
    let restarted = false;
    const worker = async () => {
      for (let i = 0; i < 100; i++) {
        await locks.using(
          'restart-run',
          async (_signal, lock) => {
            const start = performance.now();
            await new Promise((resolve) => setImmediate(resolve));
            history.push([start, performance.now(), lock.token]);
          },
          { ttlMs: 1000, waitMs: 30_000 },
        );
        if (i === 30 && !restarted) {
          restarted = true;
          await nodes[1].kill();
          await nodes[1].start();
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    history.sort((a, b) => a[0] - b[0]);
    assert.equal(history.length, 800);
    for (let i = 1; i < history.length; i++) {
      assert.ok(history[i - 1][1] <= history[i][0], `holders ${i - 1} and ${i} overlap`);
      assert.ok(history[i - 1][2] < history[i][2], `token ${history[i][2]} after ${history[i - 1][2]}`);
    }
  });
});
