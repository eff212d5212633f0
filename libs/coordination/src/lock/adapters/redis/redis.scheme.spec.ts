import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, startRedis, type RedisServer } from '@nestmesh/testing';
import { Redis } from 'ioredis';
import { BackendAuthError } from '@nestmesh/common';

import {
  InvalidElectionOptionsError,
  InvalidLockOptionsError,
  LockUnavailableError,
} from '../../../coordination.errors.js';
import { RedisLeaderElection } from '../../../election/adapters/redis/redis.election.js';
import { createLeaderElection } from '../../../election/leader-election.factory.js';
import { lockBackends, type ClosableLockBackend } from '../../lock-backend.factory.js';
import { RedisLockBackend } from './redis.lock-backend.js';
import { RedlockBackend } from './redlock.lock-backend.js';

const PASSWORD = 'p@ss:w0rd/1';
const ADMIN_PASSWORD = 'admin-secret';
const encoded = encodeURIComponent(PASSWORD);

/** A refusal that names the URL option and shows no password. */
const refused =
  (
    pattern: RegExp,
    type: typeof InvalidLockOptionsError | typeof InvalidElectionOptionsError = InvalidLockOptionsError,
  ) =>
  (error: unknown) => {
    assert.ok(error instanceof type, String(error));
    assert.equal(error.option, 'url');
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('s3cret') && !error.message.includes(encoded), error.message);
    return true;
  };

describe('redis:// and rediss:// URLs (locks and elections)', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let admin: Redis;
  before(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url, { db: 3 });
    // From now on a connection must authenticate: as "app" (its URL), or as default (admin).
    await admin.call('ACL', 'SETUSER', 'app', 'on', `>${PASSWORD}`, '~*', '&*', '+@all');
    await admin.config('SET', 'requirepass', ADMIN_PASSWORD);
  });
  after(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  it('redis://user:password@host/db: locks and elections log in as that user and live in that database', async (t) => {
    const url = `${redis.url.replace('redis://', `redis://app:${encoded}@`)}/3`;
    const backend = (await lockBackends.create(url, {})) as RedisLockBackend;
    t.after(() => backend.close());
    const token = await backend.acquire('k', 'owner', 10_000);
    assert.equal(typeof token, 'bigint');
    assert.equal(await admin.exists('nestmesh:lock:{k}'), 1, 'the lease is in database 3');
    assert.match(String(await backend.client.call('ACL', 'WHOAMI')), /^app$/);

    const election = await createLeaderElection({ group: 'url-test', url });
    t.after(() => election.close());
    assert.ok(election instanceof RedisLeaderElection);
    const leadership = await election.campaign('c1', { signal: AbortSignal.timeout(30_000) });
    assert.equal((await election.leader())?.candidateId, 'c1');
    assert.equal(await admin.exists('nestmesh:election:{url-test}'), 1, 'the election is in database 3');
    await leadership.resign();
  });

  it('a wrong password: BackendAuthError naming redis at startup, and no message shows the password', async () => {
    await assert.rejects(
      lockBackends.create(redis.url.replace('redis://', 'redis://app:s3cret@'), {}),
      (error: unknown) => {
        assert.ok(error instanceof BackendAuthError, String(error));
        assert.match(
          error.message,
          /^redis redis:\/\/app:\*\*\*@127\.0\.0\.1:\d+: authentication failed \(WRONGPASS/,
        );
        assert.ok(!error.message.includes('s3cret'), error.message);
        return true;
      },
    );
  });

  it('a quorum that cannot be reached names each node without its password', async (t) => {
    const urls = await Promise.all(
      [1, 2, 3].map(async () => `redis://app:s3cret@127.0.0.1:${await freePort()}`),
    );
    const quorum = await lockBackends.create(urls, { commandTimeoutMs: 200 });
    t.after(() => quorum.close?.());
    assert.ok(quorum instanceof RedlockBackend);
    await assert.rejects(quorum.acquire('k', 'owner', 1000), (error: unknown) => {
      assert.ok(error instanceof LockUnavailableError);
      assert.equal(error.nodes.length, 3);
      assert.ok(![error.message, ...error.nodes].some((text) => text.includes('s3cret')), error.nodes.join());
      assert.ok(error.nodes.every((node) => node.includes('app:***@')));
      return true;
    });
  });

  it('rediss:// is TLS; ?timeout= is the command deadline and must agree with commandTimeoutMs', async (t) => {
    const port = await freePort();
    const built: ClosableLockBackend[] = [];
    t.after(() => Promise.all(built.map(async (backend) => backend.close?.())));
    const create = async (url: string, commandTimeoutMs?: number) => {
      const backend = (await lockBackends.create(url, { commandTimeoutMs })) as RedisLockBackend;
      built.push(backend);
      return backend;
    };
    assert.ok(((await create(`rediss://127.0.0.1:${port}`)).client as Redis).options.tls);
    assert.ok(!((await create(`redis://127.0.0.1:${port}`)).client as Redis).options.tls);
    assert.equal((await create(`redis://127.0.0.1:${port}?timeout=250`)).commandTimeoutMs, 250);
    assert.equal((await create(`redis://127.0.0.1:${port}?timeout=250`, 250)).commandTimeoutMs, 250);
    assert.equal((await create(`redis://127.0.0.1:${port}`, 300)).commandTimeoutMs, 300);
  });

  it('refuses what is not a Redis (or a quorum of them), naming the URL without its password', async () => {
    const cases: [string, RegExp][] = [
      ['redis://u:s3cret@', /names no Redis host/],
      ['redis://u:s3cret@a:1,b:2', /one Redis per URL; a quorum is a list of URLs/],
      ['redis://u:s3cret@a:1/x', /the path is a database number/],
      [
        'redis://u:s3cret@a:1?timout=5',
        /unknown option "timout"; this scheme takes ca, cert, key, servername, timeout/,
      ],
      ['redis://u:s3cret@a:1,redis://b:2', /quorum mode needs at least 3 Redis masters, got 2/],
      [
        'mongodb://u:s3cret@a',
        /unknown lock scheme "mongodb:"; known: memory:\/\/, redis:\/\/, redis\+cluster:\/\/, redis\+sentinel:\/\/, rediss:\/\/, rediss\+cluster:\/\/, zk:\/\//,
      ],
      ['redis://a:1?timeout=5,redis://b:1?timeout=6,redis://c:1', /must give the same timeout/],
      ['u:s3cret@localhost:6379', /is not a backend URL/],
    ];
    for (const [url, pattern] of cases) await assert.rejects(lockBackends.create(url, {}), refused(pattern));
    await assert.rejects(
      lockBackends.create('redis://a:1?timeout=200', { commandTimeoutMs: 1000 }),
      refused(/timeout=200 disagrees with commandTimeoutMs 1000/),
    );
    const election = (url: string) => createLeaderElection({ group: 'g', url });
    await assert.rejects(
      election('redis://u:s3cret@a:1,redis://b:1,redis://c:1'),
      refused(/redis:\/\/ takes 1 URL, got 3/, InvalidElectionOptionsError),
    );
    await assert.rejects(
      createLeaderElection({ group: 'g', url: 'redis://a:1?timeout=200', requestTimeoutMs: 500 }),
      refused(/timeout=200 disagrees with requestTimeoutMs 500/, InvalidElectionOptionsError),
    );
  });
});
