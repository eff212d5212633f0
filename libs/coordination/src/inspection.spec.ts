import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEtcd, startRedis, type EtcdServer, type RedisServer } from '@nestmesh/testing';

import { runAlone } from './test-fixtures/run-alone.js';

describe('inspectors in a process of their own', { timeout: 180_000 }, () => {
  let redis: RedisServer;
  let etcd: EtcdServer;
  before(async () => {
    [redis, etcd] = await Promise.all([startRedis(), startEtcd()]);
  });
  after(() => Promise.all([redis.stop(), etcd.stop()]));

  it('memory:// lists a memory lock backend nobody references only until it is collected', async () => {
    const run = await runAlone(
      `
      import { createLockInspector, MemoryLockBackend } from '@nestmesh/coordination';
      const inspector = await createLockInspector('memory://');
      await (async () => { await new MemoryLockBackend().acquire('dropped', 'owner', 60_000); })();
      const before = (await inspector.heldLocks('dropped')).length;
      // A deref()ed WeakRef keeps its target until the current task ends: collect in a fresh one.
      const turn = () => new Promise((resolve) => setTimeout(resolve, 10));
      for (let round = 0; round < 10; round++) {
        await turn();
        globalThis.gc();
        await turn();
        if ((await inspector.heldLocks('dropped')).length === 0) break;
      }
      console.log(JSON.stringify({ before, after: (await inspector.heldLocks('dropped')).length }));
      `,
      { deadlineMs: 60_000, env: { NODE_OPTIONS: '--expose-gc' } },
    );
    assert.ok(run.exitedAlone && run.code === 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { before: 1, after: 0 });
  });

  it('after reads, an aborted watch and close(), nothing of the Redis and etcd inspectors keeps the process alive', async () => {
    const run = await runAlone(
      `
      import { createElectionInspector, createLockInspector } from '@nestmesh/coordination';
      const locks = await createLockInspector(process.env.REDIS);
      await locks.heldLocks();
      for (const url of [process.env.REDIS, process.env.ETCD]) {
        const elections = await createElectionInspector(url);
        await elections.groups();
        const abort = new AbortController();
        const watch = elections.watch('nobody', { signal: abort.signal })[Symbol.asyncIterator]();
        await watch.next();
        const pending = watch.next(); // waits for the next poll
        abort.abort();
        await pending;
        await elections.close();
      }
      await locks.close();
      console.log('closed');
      `,
      {
        deadlineMs: 60_000,
        env: { REDIS: redis.url, ETCD: etcd.endpoint.replace('http://', 'etcd://') },
      },
    );
    assert.ok(run.exitedAlone && run.code === 0, run.stderr);
    assert.equal(run.stdout.trim(), 'closed');
  });
});
