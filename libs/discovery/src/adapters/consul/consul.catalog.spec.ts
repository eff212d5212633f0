import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort } from '@nestmesh/testing';

import { catalogOf } from '../../catalog.js';
import { createDiscoveryBackend } from '../../discovery-backend.js';
import { InvalidServiceInstanceError, RegistryUnavailableError } from '../../discovery.errors.js';
import { until } from '../../testing/until.js';
import { CONSUL_REGISTERED_AT_META_KEY } from './consul.constants.js';
import { healthOf } from './consul.health.js';
import type { HeartbeatScheduler } from './consul.heartbeat.js';
import { ConsulRegistry } from './consul.registry.js';
import { fakeAgentForSuite, FakeConsulAgent, testInstance } from './fake-consul-agent.fixture.js';

const agentAddress = process.env.CONSUL_HTTP_ADDR?.replace(/^https?:\/\//, '');
const TTL_MS = 1_000;
const REQUEST_TIMEOUT_MS = 4_000;

/** A TTL registry whose heartbeat runs once, at register, and never again: its check lapses after TTL_MS. */
function silentTtlRegistry(host: string): ConsulRegistry {
  const heartbeatScheduler: HeartbeatScheduler = () => () => undefined;
  return new ConsulRegistry({
    host,
    check: 'ttl',
    ttlMs: TTL_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    removeAfterMs: 60_000, // removed by close()
    heartbeatScheduler,
  });
}

/** The cases that hold for any agent: the stand-in one, and a real one when CONSUL_HTTP_ADDR is set. */
function catalogCases(agentName: string, hostOf: () => string): void {
  it(`${agentName}: an instance whose TTL check lapsed is listed critical with the check's output, and is absent from instances()`, async () => {
    const registry = silentTtlRegistry(hostOf());
    const one = testInstance();
    await registry.register(one); // passing, one heartbeat, then silence
    try {
      const [listed] = await registry.catalog(one.name);
      assert.equal(listed.health, 'passing');
      await until(
        async () => (await registry.catalog(one.name))[0]?.health === 'critical',
        TTL_MS + REQUEST_TIMEOUT_MS,
        'the TTL to lapse',
      );
      const [lapsed] = await registry.catalog(one.name);
      assert.match(lapsed.healthDetail ?? '', /^TTL expired/);
      assert.deepEqual(lapsed.metadata, one.metadata, `no ${CONSUL_REGISTERED_AT_META_KEY} in metadata`);
      assert.ok(lapsed.registeredAt instanceof Date);
      assert.deepEqual(await registry.instances(one.name), [], 'not passing: not routed to');
      assert.ok((await registry.services()).includes(one.name), 'still a registered service');
    } finally {
      await registry.deregister(one);
      await registry.close();
    }
  });

  it(`${agentName}: the app reporting NOT_SERVING makes it critical with the heartbeat's note; a warning is listed as warning, and is not passing either`, async () => {
    const registry = silentTtlRegistry(hostOf());
    const one = testInstance();
    // Not serving: registered critical (Consul's initial status), then its one heartbeat fails it.
    await registry.register(one, { healthy: () => false });
    try {
      await until(
        async () => (await registry.catalog(one.name))[0]?.healthDetail === 'the app reports NOT_SERVING',
        REQUEST_TIMEOUT_MS,
        'the failing heartbeat',
      );
      assert.equal((await registry.catalog(one.name))[0].health, 'critical');
      // Another tool may warn the check (Consul's own API); the catalog shows what Consul says.
      const warned = await fetch(
        `http://${hostOf()}/v1/agent/check/warn/${encodeURIComponent(`service:${one.id}`)}?note=slow`,
        { method: 'PUT' },
      );
      assert.equal(warned.status, 200);
      const [warning] = await registry.catalog(one.name);
      assert.deepEqual([warning.health, warning.healthDetail], ['warning', 'slow']);
      assert.deepEqual(await registry.instances(one.name), []);
    } finally {
      await registry.deregister(one);
      await registry.close();
    }
  });

  it(`${agentName}: a deregistered instance is listed critical (maintenance, with the reason) until it is removed`, async () => {
    const registry = silentTtlRegistry(hostOf());
    const one = testInstance();
    await registry.register(one);
    await registry.deregister(one);
    const [draining] = await registry.catalog(one.name);
    assert.deepEqual([draining.health, draining.healthDetail], ['critical', 'draining before shutdown']);
    await registry.close(); // removes what is in maintenance
    assert.deepEqual(await registry.catalog(one.name), []);
  });
}

if (agentAddress) {
  console.log(
    `consul catalog: running the agent cases against the agent at ${agentAddress} (CONSUL_HTTP_ADDR)`,
  );
  describe(`consul catalog (agent at ${agentAddress})`, { timeout: 60_000 }, () =>
    catalogCases('real agent', () => agentAddress),
  );
} else {
  console.log(
    'consul catalog: CONSUL_HTTP_ADDR is not set, so no agent: the cases run against the stand-in only',
  );
}

// Consul cannot run on our machines: the stand-in agent keeps checks as Consul documents them.
describe('consul catalog (stand-in agent)', { timeout: 60_000 }, () => {
  const { agent, host } = fakeAgentForSuite();
  catalogCases('stand-in', host);

  it('services() reads /v1/catalog/services and catalog() /v1/health/service/<name> without ?passing, with token, dc and ns (an Enterprise stand-in)', async (t) => {
    const enterprise = new FakeConsulAgent({ enterprise: true });
    t.after(() => enterprise.stop());
    const agent = enterprise;
    const registry = new ConsulRegistry({
      host: await enterprise.start(),
      token: 't0k',
      datacenter: 'dc2',
      namespace: 'team',
    });
    const one = testInstance();
    await registry.register(one);
    agent.requests.length = 0;
    assert.ok((await registry.services()).includes(one.name));
    assert.deepEqual(
      (await registry.catalog(one.name)).map((i) => i.id),
      [one.id],
    );
    assert.deepEqual(
      agent.requests.map((r) => [
        r.method,
        r.path,
        r.query.has('passing'),
        r.query.get('dc'),
        r.query.get('ns'),
        r.headers['x-consul-token'],
      ]),
      [
        ['GET', '/v1/catalog/services', false, 'dc2', 'team', 't0k'],
        ['GET', `/v1/health/service/${one.name}`, false, 'dc2', 'team', 't0k'],
      ],
    );
    await registry.close();
  });

  it(`an app's own metadata may not use the registered-at key, nor the last of Consul's 64 Meta pairs`, async () => {
    const registry = new ConsulRegistry({ host: host() });
    const reserved = { ...testInstance(), metadata: { [CONSUL_REGISTERED_AT_META_KEY]: 'mine' } };
    await assert.rejects(registry.register(reserved), InvalidServiceInstanceError);
    const pairs = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));
    await assert.rejects(
      registry.register({ ...testInstance(), metadata: pairs(64) }),
      /64 metadata entries, at most 63/,
    );
    await registry.register({ ...testInstance(), metadata: pairs(63) });
    const [request] = agent.requestsTo('/v1/agent/service/register');
    assert.equal(Object.keys((request.body as { Meta: object }).Meta).length, 64);
    assert.equal(
      agent.requestsTo('/v1/agent/service/register').length,
      1,
      'the refused ones were never sent',
    );
    await registry.close();
  });

  it('an agent that is down: RegistryUnavailableError, without the token in the message', async () => {
    const port = await freePort();
    const backend = await createDiscoveryBackend({ url: `consul://127.0.0.1:${port}?token=s3cret` });
    const catalog = catalogOf(backend);
    const unavailable = (error: unknown) =>
      error instanceof RegistryUnavailableError && !error.message.includes('s3cret');
    await Promise.all(
      [catalog.services(), catalog.catalog('svc')].map((reading) => assert.rejects(reading, unavailable)),
    );
    await backend.close?.();
  });
});

describe(
  'consul health of an instance (its checks, as /v1/health/service lists them)',
  { timeout: 10_000 },
  () => {
    const check = (Status: string, Output = '', Notes = '') => ({
      CheckID: `c-${Status}`,
      Name: `check ${Status}`,
      Status,
      Output,
      Notes,
    });

    it('is the worst check: any critical → critical, else any warning → warning, else passing', () => {
      assert.deepEqual(healthOf([]), { health: 'passing' });
      assert.deepEqual(healthOf([check('passing', 'Agent alive'), check('passing', 'ok')]), {
        health: 'passing',
      });
      assert.deepEqual(healthOf([check('passing'), check('warning', 'slow')]), {
        health: 'warning',
        detail: 'slow',
      });
      assert.deepEqual(
        healthOf([check('warning', 'slow'), check('critical', 'down'), check('warning', 'late')]),
        {
          health: 'critical',
          detail: 'down',
        },
      );
    });

    it('its detail is the worst check’s Output, else its Notes (maintenance), else its name; an unknown status is critical', () => {
      assert.deepEqual(healthOf([check('critical', '', 'draining')]), {
        health: 'critical',
        detail: 'draining',
      });
      assert.deepEqual(healthOf([check('critical')]), { health: 'critical', detail: 'check critical' });
      assert.deepEqual(healthOf([check('passing'), check('maintenance')]), {
        health: 'critical',
        detail: 'check maintenance',
      });
    });
  },
);
