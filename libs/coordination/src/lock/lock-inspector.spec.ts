import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { freePort, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import { InvalidLockOptionsError, LockUnavailableError } from '../coordination.errors.js';
import { createLeaderElection } from '../election/leader-election.factory.js';
import { MemoryLockBackend } from './adapters/memory/memory.lock-backend.js';
import { RedisLockBackend } from './adapters/redis/redis.lock-backend.js';
import { RedlockBackend } from './adapters/redis/redlock.lock-backend.js';
import { createLockInspector, type HeldLock, type LockInspector } from './lock-inspector.js';

const TTL_MS = 10_000;

/** A listed lock's remaining lease is what the backend says: positive, never above the TTL set. */
function assertLease(lock: HeldLock | undefined, ttlMs: number): void {
  assert.ok(lock, 'the lock is listed');
  assert.ok(
    lock.remainingMs > 0 && lock.remainingMs <= ttlMs,
    `remainingMs ${lock.remainingMs} in (0, ${ttlMs}]`,
  );
}

describe('lock inspection on one real redis-server', { timeout: 90_000 }, () => {
  let redis: RedisServer;
  let backend: RedisLockBackend;
  let inspector: LockInspector;
  let raw: Redis;
  before(async () => {
    redis = await startRedis();
    backend = new RedisLockBackend({ url: redis.url });
    inspector = await createLockInspector(redis.url);
    raw = new Redis(redis.url);
  });
  after(async () => {
    raw.disconnect();
    await inspector.close();
    await backend.close();
    await redis.stop();
  });

  it('lists held locks sorted by key with owner, token and remaining TTL; a released lock disappears', async () => {
    const tokens = {
      'sku:B': await backend.acquire('sku:B', 'bob', TTL_MS),
      'order:1': await backend.acquire('order:1', 'carol', TTL_MS),
      'sku:A': await backend.acquire('sku:A', 'alice', TTL_MS),
    };
    const held = await inspector.heldLocks();
    assert.deepEqual(
      held.map(({ key, owner, fencingToken }) => ({ key, owner, fencingToken })),
      [
        { key: 'order:1', owner: 'carol', fencingToken: tokens['order:1'] },
        { key: 'sku:A', owner: 'alice', fencingToken: tokens['sku:A'] },
        { key: 'sku:B', owner: 'bob', fencingToken: tokens['sku:B'] },
      ],
    );
    for (const lock of held) assertLease(lock, TTL_MS);
    await backend.release('sku:A', 'alice');
    assert.deepEqual(
      (await inspector.heldLocks()).map((lock) => lock.key),
      ['order:1', 'sku:B'],
    );
    // Taken again: the new holder's token, not the first one's.
    const again = await backend.acquire('sku:A', 'dave', TTL_MS);
    const retaken = (await inspector.heldLocks('sku:A')).at(0);
    assert.equal(retaken?.owner, 'dave');
    assert.equal(retaken?.fencingToken, again);
    assert.ok(again! > tokens['sku:A']!);
    await Promise.all([
      backend.release('sku:A', 'dave'),
      backend.release('sku:B', 'bob'),
      backend.release('order:1', 'carol'),
    ]);
  });

  it('filters on the start of the key; glob characters in the prefix match themselves', async () => {
    await backend.acquire('pre:x', 'one', TTL_MS);
    await backend.acquire('pre*:y', 'two', TTL_MS);
    await backend.acquire('other', 'three', TTL_MS);
    assert.deepEqual(
      (await inspector.heldLocks('pre')).map((lock) => lock.key),
      ['pre*:y', 'pre:x'],
    );
    assert.deepEqual(
      (await inspector.heldLocks('pre*')).map((lock) => lock.key),
      ['pre*:y'],
    );
    assert.deepEqual(await inspector.heldLocks('nothing-here'), []);
    await Promise.all([
      backend.release('pre:x', 'one'),
      backend.release('pre*:y', 'two'),
      backend.release('other', 'three'),
    ]);
  });

  it('never extends, takes or releases: the TTL keeps falling, owner and fence stay, no key is added', async () => {
    const token = await backend.acquire('watched', 'owner-1', 3000);
    const keysBefore = (await raw.keys('*')).sort();
    let lastPttl = await raw.pttl('nestmesh:lock:{watched}');
    for (let read = 0; read < 5; read++) {
      const [lock] = await inspector.heldLocks('watched');
      assert.equal(lock.owner, 'owner-1');
      assert.equal(lock.fencingToken, token);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const pttl = await raw.pttl('nestmesh:lock:{watched}');
      assert.ok(pttl < lastPttl, `PTTL fell from ${lastPttl} to ${pttl}`);
      assert.ok(lock.remainingMs >= pttl, 'what was listed is not longer than what is left now');
      lastPttl = pttl;
    }
    assert.equal(await raw.get('nestmesh:lock:{watched}'), 'owner-1');
    assert.equal(await raw.get('nestmesh:lock:{watched}:fence'), String(token));
    assert.deepEqual((await raw.keys('*')).sort(), keysBefore);
    await backend.release('watched', 'owner-1');
  });

  it('aborting rejects with the reason', async () => {
    const abort = new AbortController();
    const reason = new Error('operator left');
    abort.abort(reason);
    await assert.rejects(
      inspector.heldLocks(undefined, { signal: abort.signal }),
      (error) => error === reason,
    );
  });

  it('Redis down: LockUnavailableError naming the URL without its password; works again once Redis is back', async () => {
    const port = await freePort();
    const nowhere = await createLockInspector(`redis://operator:s3cret@127.0.0.1:${port}`);
    const error = await nowhere.heldLocks().catch((caught: unknown) => caught);
    await nowhere.close();
    assert.ok(error instanceof LockUnavailableError, String(error));
    assert.match(
      error.message,
      new RegExp(
        `^lock: \\*: the lock backend is unavailable \\(redis://operator:\\*\\*\\*@127\\.0\\.0\\.1:${port}: `,
      ),
    );
    assert.doesNotMatch(error.message, /s3cret/);

    await redis.kill();
    await assert.rejects(inspector.heldLocks(), LockUnavailableError);
    await redis.start();
    assert.deepEqual(
      await waitFor(() => inspector.heldLocks().catch(() => undefined), {
        timeoutMs: 20_000,
        description: 'inspection to work again',
      }),
      [],
    );
  });

  it('refuses an unknown scheme and a two-node quorum with InvalidLockOptionsError', async () => {
    await assert.rejects(createLockInspector('zk://127.0.0.1:2181'), InvalidLockOptionsError);
    await assert.rejects(createLockInspector('redis://a:1,redis://b:2'), InvalidLockOptionsError);
    await assert.rejects(createLockInspector('redis://a:1?ttl=3'), InvalidLockOptionsError);
  });
});

describe('lock inspection on Redlock (3 real redis-servers)', { timeout: 90_000 }, () => {
  let nodes: RedisServer[];
  let redlock: RedlockBackend;
  let single: RedisLockBackend[];
  let inspector: LockInspector;
  before(async () => {
    nodes = await Promise.all([startRedis(), startRedis(), startRedis()]);
    redlock = new RedlockBackend({ urls: nodes.map((node) => node.url), commandTimeoutMs: 1000 });
    single = nodes.map((node) => new RedisLockBackend({ url: node.url }));
    inspector = await createLockInspector(nodes.map((node) => node.url).join(','));
  });
  after(async () => {
    await inspector.close();
    await Promise.all([redlock.close(), ...single.map((node) => node.close())]);
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('lists a Redlock lock with its token; a lock on a minority, or split between owners, is not listed', async () => {
    const token = await redlock.acquire('quorum', 'alice', TTL_MS);
    await single[0].acquire('minority', 'bob', TTL_MS);
    await single[0].acquire('split', 'carol', TTL_MS);
    await single[1].acquire('split', 'dave', TTL_MS);
    await single[1].acquire('pair', 'erin', TTL_MS);
    await single[2].acquire('pair', 'erin', 2000);
    const held = await inspector.heldLocks();
    assert.deepEqual(
      held.map(({ key, owner }) => ({ key, owner })),
      [
        { key: 'pair', owner: 'erin' },
        { key: 'quorum', owner: 'alice' },
      ],
    );
    assert.equal(held[1].fencingToken, token);
    assertLease(held[1], TTL_MS);
    assertLease(held[0], 2000); // the least of the nodes' leases
  });

  it('one node down: still listed from the other two; two down: LockUnavailableError with each node', async () => {
    await nodes[0].kill();
    assert.ok((await inspector.heldLocks('quorum')).length === 1);
    await nodes[1].kill();
    const error = await inspector.heldLocks().catch((caught: unknown) => caught);
    assert.ok(error instanceof LockUnavailableError, String(error));
    assert.match(error.message, /no quorum: 1 of 3 nodes answered, 2 needed/);
    assert.equal(error.nodes.length, 3);
    await Promise.all([nodes[0].start(), nodes[1].start()]);
  });
});

describe('lock inspection in memory (this process)', { timeout: 30_000 }, () => {
  it('lists the locks of every memory lock backend of the process until it is closed, not election leases', async () => {
    const [first, second] = [new MemoryLockBackend(), new MemoryLockBackend()];
    const inspector = await createLockInspector('memory://');
    const election = await createLeaderElection({ url: 'memory://', group: 'inspected-memory' });
    const leadership = await election.campaign('leader-1');
    const one = await first.acquire('mem:1', 'alice', TTL_MS);
    await second.acquire('mem:2', 'bob', TTL_MS);
    await second.acquire('other', 'carol', TTL_MS);
    const held = await inspector.heldLocks('mem:');
    assert.deepEqual(
      held.map(({ key, owner }) => ({ key, owner })),
      [
        { key: 'mem:1', owner: 'alice' },
        { key: 'mem:2', owner: 'bob' },
      ],
    );
    assert.equal(held[0].fencingToken, one);
    assertLease(held[0], TTL_MS);
    assert.ok(!(await inspector.heldLocks()).some((lock) => lock.key === 'inspected-memory'));
    await first.release('mem:1', 'alice');
    await second.close();
    assert.deepEqual(await inspector.heldLocks('mem:'), []);
    await leadership.resign();
    await election.close();
    await inspector.close();
  });
});
