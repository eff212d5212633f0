// A backend that is not built in, registered the way docs/coordination.md ("Third-party
// backends") shows, through the public entry points only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startContext, waitFor } from '@nestmesh/testing';
import {
  electionBackends,
  InvalidLockOptionsError,
  LeaderElectionModule,
  LeaderElectionService,
  LeaseLeaderElection,
  lockBackends,
  LockModule,
  LockService,
  MemoryLockBackend,
  type LeaseBackend,
} from '@nestmesh/coordination';
import { lockBackendContract } from '@nestmesh/coordination/testing';

/** `test://<table>`: leases in a named in-process table, counting the calls it serves. */
class TestLockBackend implements LeaseBackend {
  static readonly tables = new Map<string, MemoryLockBackend>();
  readonly calls: string[] = [];
  closed = false;
  private readonly table: MemoryLockBackend;

  constructor(name: string) {
    this.table = TestLockBackend.tables.get(name) ?? new MemoryLockBackend();
    TestLockBackend.tables.set(name, this.table);
  }
  acquire(key: string, owner: string, ttlMs: number) {
    this.calls.push('acquire');
    return this.table.acquire(key, owner, ttlMs);
  }
  extend(key: string, owner: string, ttlMs: number) {
    return this.table.extend(key, owner, ttlMs);
  }
  release(key: string, owner: string) {
    this.calls.push('release');
    return this.table.release(key, owner);
  }
  holder(key: string) {
    return this.table.holder(key);
  }
  waitForRelease(key: string, maxMs: number, signal?: AbortSignal) {
    return this.table.waitForRelease(key, maxMs, signal);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

const built: TestLockBackend[] = [];
lockBackends.register('test', {
  query: ['slow'],
  create: ([url]) => {
    if (url.hosts.length !== 1) url.fail('names one table (test://<table>)');
    const backend = new TestLockBackend(url.hosts[0]);
    built.push(backend);
    return backend;
  },
});
electionBackends.register('test', {
  create: ([url], { group, timing }) =>
    new LeaseLeaderElection(new TestLockBackend(url.hosts[0] ?? 'default'), group, timing, true),
});

describe(
  'a third-party scheme (test://) registered on lockBackends and electionBackends',
  { timeout: 60_000 },
  () => {
    it('LockModule.forRoot({ url: "test://…" }) locks through it, and closes it at shutdown', async () => {
      const app = await startContext(LockModule.forRoot({ url: 'test://shop' }));
      let backend: TestLockBackend | undefined;
      try {
        backend = built.at(-1);
        assert.ok(backend);
        const result = await app.get(LockService).using('sku:A', (_signal, lock) => lock.token);
        assert.equal(typeof result, 'bigint');
        assert.deepEqual(backend.calls, ['acquire', 'release']);
      } finally {
        await app.close();
      }
      assert.equal(backend.closed, true);
    });

    it('LeaderElectionModule.forRoot({ url: "test://…" }) elects on it', async () => {
      const app = await startContext(LeaderElectionModule.forRoot({ group: 'jobs', url: 'test://shop' }));
      try {
        const service = app.get(LeaderElectionService);
        await waitFor(() => service.isLeader, { timeoutMs: 30_000, description: 'leadership' });
        assert.equal((await service.leader())?.candidateId, service.candidateId);
      } finally {
        await app.close();
      }
    });

    it('its options are checked like a built-in one, and unknown schemes now list it', async () => {
      const refused = (pattern: RegExp) => (error: unknown) =>
        error instanceof InvalidLockOptionsError && error.option === 'url' && pattern.test(error.message);
      await assert.rejects(
        startContext(LockModule.forRoot({ url: 'test://shop?colour=red' })),
        refused(/unknown option "colour"; this scheme takes slow/),
      );
      await assert.rejects(startContext(LockModule.forRoot({ url: 'test://' })), refused(/names one table/));
      await assert.rejects(
        startContext(LockModule.forRoot({ url: 'nope://x' })),
        refused(
          /known: memory:\/\/, redis:\/\/, redis\+cluster:\/\/, redis\+sentinel:\/\/, rediss:\/\/, rediss\+cluster:\/\/, test:\/\/, zk:\/\//,
        ),
      );
    });
  },
);

// The shared contract suite, from @nestmesh/coordination/testing, on the registered scheme.
lockBackendContract('test:// (a third-party scheme)', async () => {
  const backend = await lockBackends.create('test://contract', {});
  return { backend, close: async () => backend.close?.() };
});
