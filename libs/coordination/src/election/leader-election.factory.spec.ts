import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { freePort } from '@nestmesh/testing';

import { InvalidElectionOptionsError } from '../coordination.errors.js';
import { runAlone } from '../test-fixtures/run-alone.js';
import { EtcdLeaderElection } from './adapters/etcd/etcd.election.js';
import { RedisLeaderElection } from './adapters/redis/redis.election.js';
import { createLeaderElection, electionBackends } from './leader-election.factory.js';
import type { LeaderElection } from './leader-election.js';
import { LeaseLeaderElection } from './lease-election.js';

const ENV = ['ELECTION_URL', 'REDIS_URL'] as const;
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]));

/** Which built-in backend an election runs on. */
function kind(election: LeaderElection): string {
  if (election instanceof RedisLeaderElection) return 'redis';
  if (election instanceof EtcdLeaderElection) return 'etcd';
  return election instanceof LeaseLeaderElection ? 'memory' : 'other';
}

describe('createLeaderElection: which URL, which backend', { timeout: 60_000 }, () => {
  afterEach(() => {
    for (const name of ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('url, else ELECTION_URL, else REDIS_URL, else memory', async () => {
    // Nothing listens on these ports: building an election does not wait for its backend.
    const redis = `redis://127.0.0.1:${await freePort()}`;
    const etcd = `etcd://127.0.0.1:${await freePort()}`;
    const cases: [{ url?: string; ELECTION_URL?: string; REDIS_URL?: string }, string][] = [
      [{}, 'memory'],
      [{ REDIS_URL: redis }, 'redis'],
      [{ REDIS_URL: redis, ELECTION_URL: etcd }, 'etcd'],
      [{ REDIS_URL: redis, ELECTION_URL: etcd, url: 'memory://' }, 'memory'],
    ];
    for (const [{ url, ...env }, expected] of cases) {
      for (const name of ENV) {
        if (env[name] === undefined) delete process.env[name];
        else process.env[name] = env[name];
      }
      const election = await createLeaderElection({ group: 'which', url });
      await election.close();
      assert.equal(kind(election), expected, JSON.stringify({ url, ...env }));
    }
  });

  it('refuses an unknown scheme listing the known ones, and URLs no adapter can use, never showing the password', async () => {
    const cases: [string, RegExp][] = [
      [
        'mongodb://u:s3cret@h:2181',
        /unknown election scheme "mongodb:"; known: etcd:\/\/, etcds:\/\/, memory:\/\/, redis:\/\/, redis\+cluster:\/\/, redis\+sentinel:\/\/, rediss:\/\/, rediss\+cluster:\/\/, zk:\/\//,
      ],
      ['etcd://u:s3cret@', /names no etcd host/],
      ['etcd://u:s3cret@h:2379/prefix', /takes no path/],
      [
        'etcd://u:s3cret@h:2379?ttl=5',
        /unknown option "ttl"; this scheme takes timeout, ca, cert, key, servername/,
      ],
      ['memory://somewhere', /takes no host or path/],
      ['', /no election URL given/],
    ];
    for (const [url, pattern] of cases) {
      await assert.rejects(createLeaderElection({ group: 'g', url }), (error: unknown) => {
        assert.ok(error instanceof InvalidElectionOptionsError && error.option === 'url', String(error));
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes('s3cret'), error.message);
        return true;
      });
    }
    await assert.rejects(
      createLeaderElection({ group: 'g', url: 'memory://', requestTimeoutMs: -1 }),
      (error: unknown) => error instanceof InvalidElectionOptionsError && error.option === 'requestTimeoutMs',
    );
    assert.deepEqual(electionBackends.schemes(), [
      'etcd',
      'etcds',
      'memory',
      'redis',
      'redis+cluster',
      'redis+sentinel',
      'rediss',
      'rediss+cluster',
      'zk',
    ]);
  });

  it('bad timing with a Redis URL is refused before any connection is made: the app process exits by itself', async () => {
    // Before: the Redis client was made first, then the timing refused, and the client kept
    // reconnecting (nothing listens there) for ever.
    const run = await runAlone(
      `import { startContext } from '@nestmesh/testing';
      import { LeaderElectionModule } from '@nestmesh/coordination';
      const module = LeaderElectionModule.forRoot({ group: 'g', url: process.env.TEST_REDIS_URL, ttlMs: 1000, renewDeadlineMs: 900 });
      const error = await startContext(module).catch((e) => e);
      console.log(error.code, error.option);`,
      { deadlineMs: 30_000, env: { TEST_REDIS_URL: `redis://127.0.0.1:${await freePort()}` } },
    );
    assert.ok(run.exitedAlone, run.stderr);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'INVALID_OPTIONS renewDeadlineMs');
  });
});
