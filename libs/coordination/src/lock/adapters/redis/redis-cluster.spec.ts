import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BackendAuthError, BackendUrl } from '@nestmesh/common';
import { startRedisCluster, type RedisCluster } from '@nestmesh/testing';

import { InvalidLockOptionsError } from '../../../coordination.errors.js';
import { ELECTION_KEY_PREFIX } from '../../../election/adapters/redis/redis.election.js';
import { createElectionInspector } from '../../../election/election-inspector.js';
import { createLeaderElection } from '../../../election/leader-election.factory.js';
import { lockBackends } from '../../lock-backend.factory.js';
import { createLockInspector } from '../../lock-inspector.js';
import { LockService } from '../../lock.service.js';
import { lockBackendContract } from '../../testing/lock-backend.contract.js';
import { isCluster } from './redis.client.js';
import { REDIS_CLUSTER_DEFAULTS, redisClusterOptionsOf } from './redis-cluster.options.js';
import { LOCK_KEY_PREFIX, RedisLockBackend } from './redis.lock-backend.js';

/**
 * Each grant waits for a replica (replicaAcks=1, the cluster default) for half the command
 * deadline: on a loaded machine a replica may take longer than the 500 ms the default 1 s
 * deadline leaves, and the grant is then refused (as it should be in production).
 */
const LOADED_MACHINE = { commandTimeoutMs: 4_000 };

/** Lock keys with braces and other awkward characters: each must keep its keys in one slot. */
const AWKWARD_KEYS = ['a', 'sku:{A}', '{x}', 'a}b', '{', '{}', 'x{y}z', '}', ':', 'клю{ч}', 'a b'].filter(
  (key) => !key.startsWith('}'),
);

describe('redis+cluster:// URLs', () => {
  it('every host is a seed; credentials go to every node; reads stay on primaries', () => {
    const { nodes, options } = redisClusterOptionsOf(
      BackendUrl.parse('redis+cluster://app:s3cret@10.0.0.1:7000,10.0.0.2,[::1]:7002?timeout=300'),
    );
    assert.deepEqual(nodes, [
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 6379 },
      { host: '::1', port: 7002 },
    ]);
    assert.deepEqual(options.redisOptions, { username: 'app', password: 's3cret' });
    assert.equal(options.scaleReads, 'master');
    assert.equal(options.maxRedirections, REDIS_CLUSTER_DEFAULTS.maxRedirections);
  });

  it('refuses TLS (not supported yet), a database path and unknown query parameters, naming the URL without its password', async () => {
    const refused = async (url: string, reason: RegExp) =>
      assert.rejects(lockBackends.create(url, {}), (error: Error) => {
        assert.ok(error instanceof InvalidLockOptionsError, String(error));
        assert.match(error.message, reason);
        assert.ok(!error.message.includes('s3cret'), error.message);
        return true;
      });
    await refused('rediss+cluster://u:s3cret@127.0.0.1:7000', /TLS to a Redis Cluster is not supported yet/);
    await refused('redis+cluster://u:s3cret@127.0.0.1:7000/2', /one database, 0/);
    await refused('redis+cluster://u:s3cret@127.0.0.1:7000?ca=/x.pem', /ca/);
    await assert.rejects(createLeaderElection({ url: 'rediss+cluster://127.0.0.1:7000', group: 'g' }), /TLS/);
  });
});

describe(
  'locks, elections and inspectors on a real Redis Cluster (3 primaries + 3 replicas)',
  { timeout: 120_000 },
  () => {
    let cluster: RedisCluster;
    const closing: { close(): Promise<void> }[] = [];
    const opened = <T extends { close(): Promise<void> }>(made: T): T => {
      closing.push(made);
      return made;
    };
    before(async () => (cluster = await startRedisCluster()));
    after(async () => {
      await Promise.allSettled(closing.map((made) => made.close()));
      await cluster?.stop();
    });

    it('a lock key, its fence and its since record hash to one slot, braces in the key or not', async () => {
      for (const prefix of [LOCK_KEY_PREFIX, ELECTION_KEY_PREFIX])
        for (const key of AWKWARD_KEYS) {
          const base = `${prefix}{${key}}`;
          const slots = await Promise.all(
            [base, `${base}:fence`, `${base}:since`].map((name) => cluster.slotOf(name)),
          );
          assert.equal(new Set(slots).size, 1, `${base}: slots ${slots.join(', ')}`);
        }
    });

    it('locks awkward keys through the Cluster client, across primaries; refuses keys whose hash tag would be empty', async () => {
      const backend = opened((await lockBackends.create(cluster.url, LOADED_MACHINE)) as RedisLockBackend);
      assert.ok(isCluster(backend.client));
      const primaries = new Set<number>();
      for (const key of AWKWARD_KEYS) {
        const token = await backend.acquire(key, 'owner', 10_000);
        assert.equal(token, 1n, key);
        assert.deepEqual(await backend.holder(key), { owner: 'owner', token: 1n }, key);
        primaries.add((await cluster.primaryOf(`${LOCK_KEY_PREFIX}{${key}}`)).port);
      }
      assert.ok(primaries.size > 1, 'the keys spread over several primaries');
      for (const key of ['', '}', '}x'])
        await assert.rejects(backend.acquire(key, 'owner', 10_000), (error: Error) => {
          assert.ok(error instanceof InvalidLockOptionsError);
          assert.match(error.message, /hash tag \{key\} would be empty/);
          return true;
        });
      const inspector = opened(await createLockInspector(cluster.url));
      const held = await inspector.heldLocks('');
      assert.deepEqual(
        held.map(({ key }) => key),
        [...AWKWARD_KEYS].sort(),
        'SCAN reaches every primary',
      );
    });

    it('one leader per group; the inspector finds groups on every primary', async () => {
      const groups = ['g-1', 'g-2', 'g-3', 'g-4', 'g-5', 'g-6'];
      const elections = await Promise.all(
        groups.map(async (group) => opened(await createLeaderElection({ url: cluster.url, group }))),
      );
      const leaders = await Promise.all(elections.map((election) => election.campaign('candidate')));
      assert.deepEqual(
        leaders.map((leadership) => leadership.epoch),
        groups.map(() => 1n),
      );
      const inspector = opened(await createElectionInspector(cluster.url));
      assert.deepEqual(await inspector.groups(), groups);
      assert.equal((await inspector.group('g-4'))?.leader?.candidateId, 'candidate');
    });

    it('a LockService on the cluster serialises holders of one key', async () => {
      const service = new LockService(
        opened((await lockBackends.create(cluster.url, LOADED_MACHINE)) as RedisLockBackend),
      );
      let inside = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 20 }, () =>
          service.using(
            'counter',
            async () => {
              most = Math.max(most, ++inside);
              await new Promise((resolve) => setTimeout(resolve, 2));
              inside--;
            },
            { waitMs: 30_000 },
          ),
        ),
      );
      assert.equal(most, 1);
    });

    // Last: the cluster keeps its password until it stops.
    it('a refused password is BackendAuthError at startup, naming the URL without it', async () => {
      for (const node of cluster.nodes) {
        await node.command('CONFIG', 'SET', 'masterauth', 'right-pass');
        await node.command('CONFIG', 'SET', 'requirepass', 'right-pass');
      }
      const wrong = cluster.url.replace('redis+cluster://', 'redis+cluster://:wrong-pass@');
      await assert.rejects(lockBackends.create(wrong, {}), (error: Error) => {
        assert.ok(error instanceof BackendAuthError, String(error));
        assert.match(
          error.message,
          /^redis redis\+cluster:\/\/:\*\*\*@127\.0\.0\.1:\d+.*authentication failed/,
        );
        assert.ok(!error.message.includes('wrong-pass'));
        return true;
      });
      await assert.rejects(createLeaderElection({ url: wrong, group: 'g' }), BackendAuthError);
      const right = opened(
        (await lockBackends.create(
          cluster.url.replace('redis+cluster://', 'redis+cluster://:right-pass@'),
          {},
        )) as RedisLockBackend,
      );
      assert.equal(await right.acquire('after-auth', 'owner', 10_000), 1n);
    });
  },
);

lockBackendContract('redis+cluster:// (a real Redis Cluster)', async () => {
  const cluster = await startRedisCluster();
  const backend = (await lockBackends.create(cluster.url, LOADED_MACHINE)) as RedisLockBackend;
  return {
    backend,
    close: async () => {
      await backend.close();
      await cluster.stop();
    },
  };
});
