import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { InvalidDashboardOptionsError } from './dashboard.errors.js';
import { resolveDashboardOptions } from './dashboard.options.js';

describe('MeshDashboardModule options', { timeout: 10_000 }, () => {
  it('defaults: /mesh, every 2 s, URLs from the environment as the apps read them', () => {
    assert.deepEqual(resolveDashboardOptions({}, {}), {
      path: '/mesh',
      discoveryUrl: 'memory://',
      electionUrl: 'memory://',
      lockUrl: 'memory://',
      refreshMs: 2000,
      sourceTimeoutMs: 1500,
      leaderHistory: 10,
      traceLimit: 50,
    });
    const env = { DISCOVERY_URL: 'etcd://e:2379', REDIS_URL: 'redis://r:6379' };
    const fromRedis = resolveDashboardOptions({}, env);
    assert.deepEqual(
      [fromRedis.discoveryUrl, fromRedis.electionUrl, fromRedis.lockUrl],
      ['etcd://e:2379', 'redis://r:6379', 'redis://r:6379'],
    );
    assert.equal(
      resolveDashboardOptions({}, { ...env, ELECTION_URL: 'etcd://e:2379' }).electionUrl,
      'etcd://e:2379',
    );
    assert.equal(resolveDashboardOptions({ path: '/ops/mesh/', refreshMs: 500 }, {}).path, '/ops/mesh');
    assert.equal(resolveDashboardOptions({ refreshMs: 500 }, {}).sourceTimeoutMs, 500, 'at most refreshMs');
  });

  it('refuses what cannot work, loudly, with InvalidDashboardOptionsError', () => {
    const cases: [object, RegExp][] = [
      [{ path: 'mesh' }, /path must look like \/mesh/],
      [{ path: '/' }, /path must look like \/mesh/],
      [{ path: '/a b' }, /path must look like/],
      [{ refreshMs: 10 }, /refreshMs must be a whole number from 250 to 60000, got 10/],
      [{ refreshMs: 1.5 }, /refreshMs/],
      [{ traceLimit: 0 }, /traceLimit/],
      [{ refresh: 100 }, /unknown option refresh/],
    ];
    for (const [options, message] of cases)
      assert.throws(
        () => resolveDashboardOptions(options, {}),
        (error: unknown) => error instanceof InvalidDashboardOptionsError && message.test(error.message),
        JSON.stringify(options),
      );
  });
});
