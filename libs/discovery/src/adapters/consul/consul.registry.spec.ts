import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { waitFor } from '@nestmesh/testing';

import { WATCH_RETRY_BACKOFF } from '../../discovery.constants.js';
import { RegistryUnavailableError } from '../../discovery.errors.js';
import type { ServiceInstance } from '../../service-instance.js';
import { discoveryContract, type DiscoveryContractSubject } from '../../testing/discovery.contract.js';
import { watchWithRetry } from '../../watch-with-retry.js';
import { ConsulRegistry } from './consul.registry.js';
import { within } from '../../testing/until.js';
import { CONSUL_CLIENT_TIMEOUT_MARGIN_MS, CONSUL_REGISTERED_AT_META_KEY } from './consul.constants.js';
import { fakeAgentForSuite, FakeConsulAgent, testInstance } from './fake-consul-agent.fixture.js';

const agentAddress = process.env.CONSUL_HTTP_ADDR?.replace(/^https?:\/\//, '');
/** Deadline of non-blocking requests, and `wait` of blocking ones: only an abort or close() ends a watch in half. */
const REQUEST_TIMEOUT_MS = 4_000;
const WAIT_MS = 8_000;
/** A deregistered instance stays in the catalog, in maintenance, this long. */
const REMOVE_AFTER_MS = 100;
const TTL_MS = 3_000;

/** The contract subject for an agent at `host` (the fake one unless CONSUL_HTTP_ADDR is set). */
function subject(host: string): DiscoveryContractSubject {
  const connect = (at: string) =>
    new ConsulRegistry({
      host: at,
      check: 'ttl',
      ttlMs: TTL_MS,
      waitMs: WAIT_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      removeAfterMs: REMOVE_AFTER_MS,
    });
  const backend = connect(host);
  return {
    backend,
    close: () => backend.close(),
    url: `consul://${host}?check=ttl&wait=${WAIT_MS}`,
    endsWithinMs: REQUEST_TIMEOUT_MS / 2,
    // The first query of a watch does not block: it fails at the request deadline.
    unresponsive: { connect, failWithinMs: 2 * REQUEST_TIMEOUT_MS },
    catalog: { removedWithinMs: REMOVE_AFTER_MS + REQUEST_TIMEOUT_MS },
  };
}

if (agentAddress) {
  console.log(
    `consul: running the discovery contract suite against the agent at ${agentAddress} (CONSUL_HTTP_ADDR)`,
  );
  discoveryContract(`consul (agent at ${agentAddress})`, () =>
    Promise.resolve({ ...subject(agentAddress), healthFromAppWithinMs: 10_000 }),
  );
} else {
  console.log(
    'consul: CONSUL_HTTP_ADDR is not set, so no agent: running the contract suite and the HTTP-level tests against a stand-in agent that answers with Consul’s documented API shapes',
  );
}

// Consul cannot run on our machines: the stand-in agent (fake-consul-agent.fixture.ts) answers
// with the documented request and response shapes, and can be stopped and started again.
discoveryContract('consul (the stand-in agent)', async () => {
  const agent = new FakeConsulAgent();
  const host = await agent.start();
  const port = Number(host.split(':')[1]);
  const own = subject(host);
  return {
    ...own,
    // The stand-in keeps TTL checks as Consul does: a failing heartbeat (one every TTL/3) makes
    // the instance critical, out of `passing` results.
    healthFromAppWithinMs: 2 * (TTL_MS / 3) + REQUEST_TIMEOUT_MS,
    close: async () => {
      await own.close();
      await agent.stop();
    },
    outage: {
      stop: () => agent.stop(),
      start: async () => void (await agent.start(port)),
      // Stopping the agent drops its connections: a watch fails at once, a new one is refused.
      failWithinMs: REQUEST_TIMEOUT_MS,
      recoverWithinMs: WATCH_RETRY_BACKOFF.maxMs + REQUEST_TIMEOUT_MS,
    },
  };
});

describe('consul registry at the HTTP level (documented API shapes, no agent)', { timeout: 60_000 }, () => {
  const { agent, host: agentHost } = fakeAgentForSuite();

  it('registers with ID, Name, Address, Port, Tags, Meta (plus when it registered) and a native gRPC health check; token and dc go where Consul reads them', async () => {
    const registry = new ConsulRegistry({ host: agentHost(), token: 'secret-token', datacenter: 'dc2' });
    const one = testInstance();
    const before = Date.now();
    await registry.register(one);
    const [request] = agent.requestsTo('/v1/agent/service/register');
    const stamp = (request.body as { Meta: Record<string, string> }).Meta[CONSUL_REGISTERED_AT_META_KEY];
    assert.match(CONSUL_REGISTERED_AT_META_KEY, /^[A-Za-z0-9_-]+$/, 'a Meta key Consul accepts');
    assert.equal(new Date(stamp).toISOString(), stamp, 'ISO 8601');
    assert.ok(
      before <= Date.parse(stamp) && Date.parse(stamp) <= Date.now(),
      `${stamp} is the time of register()`,
    );
    assert.equal(request.method, 'PUT');
    assert.equal(request.headers['x-consul-token'], 'secret-token');
    assert.equal(request.query.get('dc'), 'dc2');
    assert.deepEqual(request.body, {
      ID: one.id,
      Name: one.name,
      Address: '127.0.0.1',
      Port: 7100,
      Tags: ['v1'],
      Meta: { zone: 'a', [CONSUL_REGISTERED_AT_META_KEY]: stamp },
      Check: {
        GRPC: '127.0.0.1:7100',
        Interval: '10s',
        Timeout: '5s',
        DeregisterCriticalServiceAfter: '60s',
      },
    });
    await registry.close();
  });

  it('a namespace goes on every request as ns, registration included (an Enterprise stand-in)', async (t) => {
    const enterprise = new FakeConsulAgent({ enterprise: true });
    const registry = new ConsulRegistry({ host: await enterprise.start(), namespace: 'team-a' });
    t.after(() => enterprise.stop());
    const agent = enterprise;
    const one = testInstance();
    await registry.register(one);
    await registry.instances(one.name);
    await registry.deregister(one);
    await registry.close();
    assert.ok(agent.requests.length >= 4);
    assert.deepEqual(
      agent.requests.map(
        (request) => `${request.path.split('/').slice(0, 5).join('/')} ns=${request.query.get('ns')}`,
      ),
      agent.requests.map((request) => `${request.path.split('/').slice(0, 5).join('/')} ns=team-a`),
    );
  });

  it('deregistering puts the instance into maintenance at once; it is removed after the drain (close)', async () => {
    const registry = new ConsulRegistry({ host: agentHost() });
    const one = testInstance();
    await registry.register(one);
    await registry.deregister(one);
    const calls = () =>
      agent.requests
        .filter((r) => r.path.includes(one.id))
        .map((r) => `${r.method} ${r.path.replace(one.id, '<id>')}`);
    assert.deepEqual(calls(), ['PUT /v1/agent/service/maintenance/<id>']);
    assert.equal(agent.requestsTo('/v1/agent/service/maintenance/')[0].query.get('enable'), 'true');
    assert.deepEqual(await registry.instances(one.name), [], 'in maintenance it is no longer passing');
    await registry.close();
    assert.deepEqual(calls(), [
      'PUT /v1/agent/service/maintenance/<id>',
      'PUT /v1/agent/service/deregister/<id>',
    ]);
  });

  it('a deregistered instance is removed after removeAfterMs when the registry is never closed', async () => {
    const registry = new ConsulRegistry({ host: agentHost(), removeAfterMs: 50 });
    const one = testInstance();
    await registry.register(one);
    await registry.deregister(one);
    await waitFor(() => agent.requestsTo(`/v1/agent/service/deregister/${one.id}`).length === 1, {
      description: 'the removal',
    });
    await registry.close();
  });

  it('watches with blocking queries that follow X-Consul-Index, with a jittered wait, and wake only on real changes', async () => {
    const registry = new ConsulRegistry({ host: agentHost(), waitMs: 1000 });
    const name = `svc-${randomUUID().slice(0, 8)}`;
    const controller = new AbortController();
    const lists: ServiceInstance[][] = [];
    const watching = (async () => {
      for await (const list of registry.watch(name, { signal: controller.signal })) lists.push(list);
    })();
    await waitFor(() => lists.length === 1, { description: 'the first list' });
    assert.deepEqual(lists[0], []);
    const first = agent.requestsTo(`/v1/health/service/${name}`)[0];
    assert.equal(first.query.get('passing'), 'true');
    assert.equal(first.query.has('index'), false, 'the first query does not block');

    const one = testInstance(name, 7200);
    await registry.register(one);
    // A gRPC check starts critical, as in Consul: the instance is passing once the agent's
    // probe succeeds (played here: the stand-in dials nothing).
    agent.probe(`service:${one.id}`, 'passing', `gRPC check 127.0.0.1:7200: success`);
    await waitFor(() => lists.length === 2, { description: 'the registration' });
    assert.deepEqual(
      lists[1].map((i) => [i.id, i.address, i.port]),
      [[one.id, '127.0.0.1', 7200]],
    );

    const queries = agent.requestsTo(`/v1/health/service/${name}`).slice(1);
    for (const query of queries) {
      assert.ok(Number(query.query.get('index')) > 0, 'blocking queries send the last index');
      const waitMs = Number(
        /^(\d+)ms$/.exec(query.query.get('wait') ?? '')?.[1] ??
          /^(\d+)s$/.exec(query.query.get('wait') ?? '')![1] + '000',
      );
      assert.ok(
        waitMs >= 1000 && waitMs <= 1000 + 1000 / 16 + 1,
        `wait ${query.query.get('wait')} is 1 s plus at most 1/16 jitter`,
      );
    }

    // A change to the service that leaves its passing list as it was (its index moves): no new list.
    agent.changed(name);
    await waitFor(() => agent.requestsTo(`/v1/health/service/${name}`).length > queries.length + 2, {
      description: 'more queries',
    });
    assert.equal(lists.length, 2, 'no new list when nothing changed');

    controller.abort();
    await watching;
    await registry.close();
  });

  it('resets the index to 0 when Consul’s index goes backwards, and never spins on index 0', async () => {
    const registry = new ConsulRegistry({ host: agentHost(), waitMs: 1000 });
    const name = `svc-${randomUUID().slice(0, 8)}`;
    const controller = new AbortController();
    let served = 0;
    agent.override = (request, response) => {
      if (!request.path.startsWith(`/v1/health/service/${name}`)) return false;
      served++;
      // 1st answer: index 50. 2nd: index 7 (backwards). Then index 0 forever.
      const index = served === 1 ? 50 : served === 2 ? 7 : 0;
      response
        .writeHead(200, { 'x-consul-index': String(index), 'content-type': 'application/json' })
        .end('[]');
      return true;
    };
    const watching = (async () => {
      for await (const _list of registry.watch(name, { signal: controller.signal })) void _list;
    })();
    await waitFor(() => served >= 6, { description: 'several queries' });
    const indexes = agent.requestsTo(`/v1/health/service/${name}`).map((r) => r.query.get('index'));
    assert.deepEqual(
      indexes.slice(0, 4),
      [null, '50', null, '1'],
      'after 50 → 7 the client starts over; a 0 index becomes 1',
    );
    const sinceStart = agent.requestsTo(`/v1/health/service/${name}`).length;
    const startedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Over the time that really passed (a loaded machine sleeps longer than asked).
    const elapsedMs = performance.now() - startedAt;
    const queries = agent.requestsTo(`/v1/health/service/${name}`).length - sinceStart;
    assert.ok(
      queries <= elapsedMs / 50 + 1,
      `at most one query per 50 ms: ${queries} in ${Math.round(elapsedMs)} ms`,
    );
    controller.abort();
    await watching;
    await registry.close();
  });

  it('a failed blocking query ends the watch with RegistryUnavailableError: an error status at once, no answer after wait + margin', async () => {
    const waitMs = 200;
    const registry = new ConsulRegistry({ host: agentHost(), waitMs });
    const name = `svc-${randomUUID().slice(0, 8)}`;
    let answer: 'ok' | 'error' | 'hang' = 'ok';
    agent.override = (request, response) => {
      if (!request.path.startsWith(`/v1/health/service/${name}`) || answer === 'ok') return false;
      if (answer === 'error') response.writeHead(500).end('rpc error: No cluster leader');
      return true; // 'hang': never answered
    };
    for (const [kind, limitMs] of [
      ['error', waitMs + CONSUL_CLIENT_TIMEOUT_MARGIN_MS],
      ['hang', 2 * (waitMs + waitMs / 16 + CONSUL_CLIENT_TIMEOUT_MARGIN_MS)],
    ] as const) {
      answer = 'ok';
      const watch = registry.watch(name)[Symbol.asyncIterator]();
      assert.deepEqual((await watch.next()).value, []);
      answer = kind;
      agent.changed(name); // answers the blocking query; the override answers the next ones
      const started = performance.now();
      const next = await within(watch.next(), limitMs);
      assert.ok(
        next !== 'pending' && 'error' in next && next.error instanceof RegistryUnavailableError,
        `${kind}: expected RegistryUnavailableError within ${limitMs} ms, got ${JSON.stringify(next)}`,
      );
      if (kind === 'hang') {
        assert.ok(performance.now() - started >= waitMs, 'a hung query is given its wait first');
      }
    }
    await registry.close();
  });

  it('watchWithRetry keeps the last list through failing queries, backs off, and follows changes again', async () => {
    const registry = new ConsulRegistry({ host: agentHost(), waitMs: 200, check: 'ttl' });
    const name = `svc-${randomUUID().slice(0, 8)}`;
    const one = testInstance(name, 7300);
    await registry.register(one);
    const lists: ServiceInstance[][] = [];
    const errors: number[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      const options = {
        signal: controller.signal,
        onError: (_error: unknown, ms: number) => errors.push(ms),
      };
      for await (const list of watchWithRetry(registry, name, options)) lists.push(list);
    })();
    await waitFor(() => lists.length === 1, { description: 'the first list' });
    let failing = true;
    agent.override = (request, response) => {
      if (!failing || !request.path.startsWith(`/v1/health/service/${name}`)) return false;
      response.writeHead(500).end('rpc error: No cluster leader');
      return true;
    };
    agent.changed(name);
    await waitFor(() => errors.length >= 3, { description: 'three failed watches' });
    assert.equal(lists.length, 1, 'errors do not empty or change the list');
    assert.ok(
      errors.every((ms) => ms <= WATCH_RETRY_BACKOFF.maxMs),
      `backoff within bounds: ${errors.join(', ')} ms`,
    );
    failing = false;
    await registry.deregister(one);
    await waitFor(() => lists.length === 2, {
      timeoutMs: WATCH_RETRY_BACKOFF.maxMs + REQUEST_TIMEOUT_MS,
      description: 'recovery after the errors',
    });
    assert.deepEqual(lists[1], []);
    controller.abort();
    await watching;
    await registry.close();
  });
});
