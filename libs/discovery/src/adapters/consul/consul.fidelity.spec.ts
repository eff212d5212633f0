// The adapter against the stand-in agent where Consul's real behaviour matters to it (see the
// fake-consul-*.fixture.ts files for the documented behaviours each models): initial check
// state, the crash path through DeregisterCriticalServiceAfter (on a manual clock), maintenance,
// ACL refusals, and the community edition refusing namespaces. Consul cannot run here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendAuthError } from '@nestmesh/common';
import { ManualClock, waitFor } from '@nestmesh/testing';

import { createDiscoveryBackend } from '../../discovery-backend.js';
import { InvalidDiscoveryOptionsError, RegistryUnavailableError } from '../../discovery.errors.js';
import { until, within } from '../../testing/until.js';
import { watchWithRetry } from '../../watch-with-retry.js';
import type { HeartbeatScheduler } from './consul.heartbeat.js';
import { ConsulRegistry } from './consul.registry.js';
import { FakeConsulAgent, testInstance } from './fake-consul-agent.fixture.js';
import { CONSUL_REAP_INTERVAL_MS } from './fake-consul-state.fixture.js';

console.log(
  'consul fidelity: against stand-in agents only (a manual clock, ACL and CE/Enterprise modes cannot be set on a real agent from here); CONSUL_HTTP_ADDR runs the contract suite in consul.registry.spec',
);

const TTL_MS = 10_000;
const DEREGISTER_AFTER_MS = 60_000;
/** Time for a few requests to the stand-in on a loaded machine. */
const REQUEST_LIMIT_MS = 5_000;
/** A heartbeat scheduler that never beats again after the first beat: a crashed process. */
const silent: HeartbeatScheduler = () => () => undefined;

/** Runs `test` with a started stand-in agent, stopped afterwards whatever happens. */
async function withAgent(
  options: ConstructorParameters<typeof FakeConsulAgent>[0],
  test: (agent: FakeConsulAgent, host: string) => Promise<void>,
): Promise<void> {
  const agent = new FakeConsulAgent(options);
  try {
    await test(agent, await agent.start());
  } finally {
    await agent.stop();
  }
}

describe('consul adapter against Consul’s documented behaviour (stand-in agent)', { timeout: 60_000 }, () => {
  it('a new TTL check starts critical: an instance registered while not serving is absent from ?passing until a heartbeat passes it', () =>
    withAgent({}, async (agent, host) => {
      const clock = new ManualClock();
      const heartbeatScheduler: HeartbeatScheduler = (beat, intervalMs) => {
        let timer: object | undefined;
        const next = () => (timer = clock.setTimeout(() => void beat().then(next), intervalMs));
        next();
        return () => clock.clearTimeout(timer);
      };
      const registry = new ConsulRegistry({ host, check: 'ttl', ttlMs: TTL_MS, heartbeatScheduler });
      let healthy = false;
      const one = testInstance();
      try {
        await registry.register(one, { healthy: () => healthy });
        const [request] = agent.requestsTo('/v1/agent/service/register');
        assert.equal((request.body as { Check: { Status?: string } }).Check.Status, undefined);
        assert.deepEqual(await registry.instances(one.name), [], 'critical from registration on');
        healthy = true;
        await clock.advance(TTL_MS / 3);
        await until(
          async () => (await registry.instances(one.name)).length === 1,
          REQUEST_LIMIT_MS,
          'passing once a heartbeat passed service:<id>',
        );
        assert.ok(agent.requestsTo(`/v1/agent/check/pass/service:${one.id}`).length >= 1);
      } finally {
        await registry.close();
      }
    }));

  it('the crash path: heartbeats stop, the TTL lapses, Consul reaps the instance DeregisterCriticalServiceAfter later, on its 30 s cycle (manual clock)', () => {
    const clock = new ManualClock();
    return withAgent({ clock }, async (agent, host) => {
      const options = { host, check: 'ttl' as const, ttlMs: TTL_MS, heartbeatScheduler: silent };
      const registry = new ConsulRegistry({ ...options, deregisterCriticalAfterMs: DEREGISTER_AFTER_MS });
      const one = testInstance();
      try {
        await registry.register(one);
        // The heartbeat's one beat (at registration) lands before the clock moves.
        await waitFor(() => agent.requestsTo(`/v1/agent/check/pass/service:${one.id}`).length === 1, {
          description: 'the first beat',
        });
        assert.equal((await registry.catalog(one.name))[0]?.health, 'passing');
        await clock.advance(TTL_MS);
        const [lapsed] = await registry.catalog(one.name);
        assert.equal(lapsed.health, 'critical');
        assert.match(lapsed.healthDetail ?? '', /^TTL expired/);
        await clock.advance(DEREGISTER_AFTER_MS);
        assert.ok(
          (await registry.services()).includes(one.name),
          'not reaped before DeregisterCriticalServiceAfter',
        );
        await clock.advance(CONSUL_REAP_INTERVAL_MS);
        assert.deepEqual(await registry.catalog(one.name), [], 'reaped within one reaping cycle after it');
        assert.ok(!(await registry.services()).includes(one.name));
        await registry.deregister(one); // Consul's 404 for the reaped id: nothing left to drain
      } finally {
        await registry.close();
      }
    });
  });

  it('a process paused past DeregisterCriticalServiceAfter comes back: its next heartbeat finds the check gone (Consul’s 500) and registers again', () => {
    const clock = new ManualClock();
    return withAgent({ clock }, async (agent, host) => {
      let beat: (() => Promise<void>) | undefined;
      const heartbeatScheduler: HeartbeatScheduler = (scheduled) => {
        beat = scheduled;
        return () => (beat = undefined);
      };
      const registry = new ConsulRegistry({ host, check: 'ttl', ttlMs: TTL_MS, heartbeatScheduler });
      const one = testInstance();
      try {
        await registry.register(one);
        await waitFor(() => agent.requestsTo(`/v1/agent/check/pass/service:${one.id}`).length === 1, {
          description: 'the first beat',
        });
        await clock.advance(TTL_MS + DEREGISTER_AFTER_MS + CONSUL_REAP_INTERVAL_MS); // paused all along
        assert.deepEqual(await registry.catalog(one.name), [], 'reaped while paused');
        await beat?.(); // the process resumes
        assert.equal(agent.requestsTo('/v1/agent/service/register').length, 2, 'registered again');
        await until(
          async () => (await registry.instances(one.name)).length === 1,
          REQUEST_LIMIT_MS,
          'passing again',
        );
      } finally {
        await registry.close();
      }
    });
  });

  it('deregisterCriticalAfterMs under Consul’s one-minute minimum is refused when the registry is built (Consul would silently raise it)', () => {
    assert.throws(
      () => new ConsulRegistry({ deregisterCriticalAfterMs: 30_000 }),
      (error: unknown) =>
        error instanceof InvalidDiscoveryOptionsError &&
        /minimum is 60000 ms \(one minute\)/.test(error.message),
    );
    assert.throws(
      () => new ConsulRegistry({ deregisterCriticalAfterMs: Number.NaN }),
      InvalidDiscoveryOptionsError,
    );
    void new ConsulRegistry({ deregisterCriticalAfterMs: 60_000 }).close();
  });

  it('deregister adds the _service_maintenance:<id> critical check with the reason; an id the agent does not know is done, not an error', () =>
    withAgent({}, async (agent, host) => {
      const registry = new ConsulRegistry({ host, check: 'ttl', removeAfterMs: 60_000 });
      const one = testInstance();
      try {
        await registry.register(one);
        await registry.deregister(one);
        const checks = agent.services.get(one.id)?.checks.list() ?? [];
        const maintenance = checks.find((check) => check.CheckID === `_service_maintenance:${one.id}`);
        assert.deepEqual(
          [maintenance?.Status, maintenance?.Notes, maintenance?.Type],
          ['critical', 'draining before shutdown', 'maintenance'],
        );
        await registry.deregister(testInstance('never-registered'));
        assert.equal(agent.requestsTo('/v1/agent/service/maintenance/never-registered').length, 1);
      } finally {
        await registry.close();
      }
      assert.equal(agent.services.has(one.id), false, 'close() removed it');
    }));

  it('a token Consul does not know (403): BackendAuthError on register, reads and watches, never a RegistryUnavailableError retried in silence', () =>
    withAgent({ tokens: ['right-token'] }, async (_agent, host) => {
      const registry = new ConsulRegistry({ host, token: 'wrong-token', waitMs: 1_000 });
      const one = testInstance();
      try {
        await assert.rejects(registry.register(one), BackendAuthError);
        await assert.rejects(registry.instances(one.name), BackendAuthError);
        const watched = await within(registry.watch(one.name)[Symbol.asyncIterator]().next(), 5_000);
        assert.ok(
          watched !== 'pending' && 'error' in watched && watched.error instanceof BackendAuthError,
          `a watch ends with BackendAuthError: ${String(watched !== 'pending' && 'error' in watched ? watched.error : watched)}`,
        );
        const controller = new AbortController();
        const told: unknown[] = [];
        const onError = (error: unknown) => {
          told.push(error);
          controller.abort();
        };
        for await (const _list of watchWithRetry(registry, one.name, { signal: controller.signal, onError }))
          void _list;
        assert.ok(told[0] instanceof BackendAuthError, 'watchWithRetry tells onError it is the token');
        assert.ok(!(told[0] instanceof RegistryUnavailableError));
      } finally {
        await registry.close();
      }
    }));
});

describe(
  'consul namespaces: the community edition refuses any ns (stand-in agents)',
  { timeout: 60_000 },
  () => {
    it('without a namespace configured, no request carries ns: a whole life cycle works against a CE agent', () =>
      withAgent({}, async (agent, host) => {
        const registry = new ConsulRegistry({ host, check: 'ttl', waitMs: 1_000 });
        const one = testInstance();
        await registry.register(one);
        const watch = registry.watch(one.name)[Symbol.asyncIterator]();
        assert.deepEqual((await watch.next()).value, [one]);
        await watch.return?.();
        assert.deepEqual(
          (await registry.catalog(one.name)).map((i) => i.id),
          [one.id],
        );
        await registry.deregister(one);
        await registry.close();
        assert.ok(agent.requests.length >= 6);
        assert.deepEqual(
          agent.requests.filter((request) => request.query.has('ns')),
          [],
        );
      }));

    it('a namespace against a CE agent fails at startup with InvalidDiscoveryOptionsError saying namespaces need Consul Enterprise', () =>
      withAgent({}, async (_agent, host) => {
        await assert.rejects(
          createDiscoveryBackend({ url: `consul://${host}?ns=team-a&token=s3cret` }),
          (error: unknown) => {
            assert.ok(error instanceof InvalidDiscoveryOptionsError, String(error));
            assert.match(error.message, /needs Consul Enterprise/);
            assert.ok(!error.message.includes('s3cret'), error.message);
            return true;
          },
        );
        const registry = new ConsulRegistry({ host, namespace: 'team-a' });
        await assert.rejects(registry.register(testInstance()), InvalidDiscoveryOptionsError);
        await registry.close();
      }));

    it('an Enterprise agent keeps namespaces apart: an instance registered in team-a is not in the default namespace', () =>
      withAgent({ enterprise: true }, async (_agent, host) => {
        const inTeam = new ConsulRegistry({ host, namespace: 'team-a', check: 'ttl' });
        const inDefault = new ConsulRegistry({ host, check: 'ttl' });
        const one = testInstance();
        try {
          await inTeam.register(one);
          assert.deepEqual(
            (await inTeam.instances(one.name)).map((i) => i.id),
            [one.id],
          );
          assert.deepEqual(await inDefault.instances(one.name), []);
        } finally {
          await inTeam.close();
          await inDefault.close();
        }
      }));
  },
);
