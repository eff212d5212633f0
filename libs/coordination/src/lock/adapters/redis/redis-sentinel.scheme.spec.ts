import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BackendUrl, InvalidBackendUrlError } from '@nestmesh/common';
import { startRedisSentinel, type RedisSentinelDeployment } from '@nestmesh/testing';

import { InvalidLockOptionsError } from '../../../coordination.errors.js';
import { createElectionInspector } from '../../../election/election-inspector.js';
import { createLeaderElection } from '../../../election/leader-election.factory.js';
import { createLockInspector } from '../../lock-inspector.js';
import { lockBackends } from '../../lock-backend.factory.js';
import { redisSentinelOptionsOf } from './redis-sentinel.options.js';
import type { RedisLockBackend } from './redis.lock-backend.js';
import { redisOptionsOf } from './redis.options.js';

const DATA_PASSWORD = 'data:s3cret';
const SENTINEL_PASSWORD = 'sentinel/s3cret';

const optionsOf = (url: string) => redisSentinelOptionsOf(BackendUrl.parse(url));

/** A refusal of the lock registry that names the URL option and shows no password. */
const refused = (pattern: RegExp) => (error: unknown) => {
  assert.ok(error instanceof InvalidLockOptionsError, String(error));
  assert.match(error.message, pattern);
  assert.ok(!error.message.includes('s3cret'), error.message);
  return true;
};

describe('redis+sentinel:// URLs', { timeout: 90_000 }, () => {
  it('names the Sentinels (port 26379 by default), the master, the database and both credentials', () => {
    const options = optionsOf(
      'redis+sentinel://app:p%40ss@s1,s2:26380,[::1]:26381/my%20master/2?sentinelUsername=watch&sentinelPassword=pw',
    );
    assert.deepEqual(options.sentinels, [
      { host: 's1', port: 26379 },
      { host: 's2', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    assert.equal(options.name, 'my master');
    assert.equal(options.role, 'master');
    assert.equal(options.db, 2);
    assert.equal(options.username, 'app');
    assert.equal(options.password, 'p@ss');
    assert.equal(options.sentinelUsername, 'watch');
    assert.equal(options.sentinelPassword, 'pw');
    assert.equal(options.failoverDetector, true);
    // redisOptionsOf, the one entry the sample apps and createRedisClient use, reads it too.
    assert.deepEqual(redisOptionsOf(BackendUrl.parse('redis+sentinel://s1/m')).sentinels, [
      { host: 's1', port: 26379 },
    ]);
  });

  it('refuses a URL without Sentinels, without a master name, with a bad path or an unknown option', () => {
    const invalid = (url: string, pattern: RegExp) =>
      assert.throws(
        () => optionsOf(url),
        (error: unknown) => error instanceof InvalidBackendUrlError && pattern.test(error.message),
      );
    invalid('redis+sentinel:///mymaster', /names no Sentinel/);
    invalid('redis+sentinel://s1:26379', /the path is the master name/);
    invalid('redis+sentinel://s1:26379/mymaster/zero', /the path is the master name/);
    invalid('redis+sentinel://s1:70000/mymaster', /port 70000/);
    invalid('redis+sentinel://s1/mymaster?role=slave', /unknown option "role"/);
    invalid('redis+sentinel://s1/mymaster?ca=/tmp/ca.pem', /unknown option "ca"/);
  });

  it('refuses a list of Sentinel URLs (no Redlock over failing-over primaries), naming why', async () => {
    const list = [1, 2, 3].map((n) => `redis+sentinel://:s3cret@s${n}:26379/mymaster`).join(',');
    await assert.rejects(lockBackends.create(list, {}), refused(/Redlock needs independent masters/));
    await assert.rejects(
      lockBackends.create(`redis+sentinel://s1/m,redis://h:6379,redis://i:6379`, {}),
      refused(/must all be of one kind/),
    );
    await assert.rejects(
      lockBackends.create('redis+sentinel://:s3cret@s1/m?sentinelPassword=s3cret&tls=1', {}),
      refused(/unknown option "tls"/),
    );
  });

  describe('on a real Sentinel deployment with passwords', () => {
    let deployment: RedisSentinelDeployment;
    before(async () => {
      deployment = await startRedisSentinel({ password: DATA_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
    });
    after(() => deployment?.stop());

    it('locks, elections and both inspectors reach the primary the Sentinels name', async (t) => {
      const backend = (await lockBackends.create(deployment.url, {})) as RedisLockBackend;
      t.after(() => backend.close());
      assert.equal(typeof (await backend.acquire('k', 'owner', 10_000)), 'bigint');
      const port = await deployment.currentPrimary();
      assert.match(String(await backend.client.info('server')), new RegExp(`tcp_port:${port}`));

      const inspector = await createLockInspector(deployment.url);
      t.after(() => inspector.close());
      assert.deepEqual(
        (await inspector.heldLocks()).map((held) => held.key),
        ['k'],
      );

      const election = await createLeaderElection({ group: 'sentinel-url', url: deployment.url });
      t.after(() => election.close());
      const leadership = await election.campaign('me');
      const electionInspector = await createElectionInspector(deployment.url);
      t.after(() => electionInspector.close());
      assert.equal((await electionInspector.group('sentinel-url'))?.leader?.candidateId, 'me');
      await leadership.resign();
    });

    it('a wrong or missing password, of the data nodes or of the Sentinels, is a BackendAuthError at startup that shows no password', async () => {
      const urls = [
        deployment.url.replace(encodeURIComponent(DATA_PASSWORD), 'wrong-s3cret'),
        deployment.url.replace(encodeURIComponent(SENTINEL_PASSWORD), 'wrong-s3cret'),
        deployment.url.replace(/\?.*$/, ''),
      ];
      for (const url of urls) {
        await assert.rejects(lockBackends.create(url, {}), (error: unknown) => {
          assert.equal((error as { code?: string }).code, 'BACKEND_AUTH', String(error));
          assert.ok(!String(error).includes('s3cret'), String(error));
          return true;
        });
      }
    });
  });
});
