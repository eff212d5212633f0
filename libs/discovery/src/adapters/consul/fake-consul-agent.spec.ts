// The stand-in agent's own behaviour, where the adapter does not exercise it: each case is a
// documented Consul behaviour (cited in the fixture that models it), checked over HTTP.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@nestmesh/testing';

import { fakeAgentForSuite, FakeConsulAgent } from './fake-consul-agent.fixture.js';
import { goBool, goDurationMs } from './fake-consul-parse.fixture.js';
import { CONSUL_REAP_INTERVAL_MS } from './fake-consul-state.fixture.js';

/** A request to the agent at `host`: its status, text and headers. */
async function call(host: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`http://${host}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const register = (host: string, body: Record<string, unknown>) =>
  call(host, 'PUT', '/v1/agent/service/register', { Address: '127.0.0.1', Port: 7000, ...body });

describe('the stand-in agent: parsing as Consul does', { timeout: 10_000 }, () => {
  it("durations are Go's time.ParseDuration: a unit on every number, only 0 without", () => {
    assert.equal(goDurationMs('10s'), 10_000);
    assert.equal(goDurationMs('1m30s'), 90_000);
    assert.equal(goDurationMs('1.5h'), 5_400_000);
    assert.equal(goDurationMs('300ms'), 300);
    assert.equal(goDurationMs('0'), 0);
    for (const refused of ['10', '', 's', '10 s', '1d'])
      assert.equal(goDurationMs(refused), undefined, refused);
  });

  it("booleans are Go's strconv.ParseBool", () => {
    for (const yes of ['1', 't', 'TRUE', 'true', 'True']) assert.equal(goBool(yes), true);
    for (const no of ['0', 'f', 'FALSE', 'false', 'False']) assert.equal(goBool(no), false);
    for (const neither of ['yes', '', 'on', 'tRUE']) assert.equal(goBool(neither), undefined);
  });
});

describe('the stand-in agent over HTTP', { timeout: 30_000 }, () => {
  const { agent, host } = fakeAgentForSuite();

  it('check ids are service:<id>, or service:<id>:<n> for several; a new check is critical unless given a Status', async () => {
    await register(host(), { ID: 'one', Name: 'ids', Check: { TTL: '10s' } });
    await register(host(), {
      ID: 'two',
      Name: 'ids',
      Checks: [
        { TTL: '10s', Status: 'passing' },
        { GRPC: '127.0.0.1:7000', Interval: '10s' },
      ],
    });
    const checks = (id: string) =>
      agent.services
        .get(id)!
        .checks.list()
        .map((c) => [c.CheckID, c.Status, c.Type]);
    assert.deepEqual(checks('one'), [['service:one', 'critical', 'ttl']]);
    assert.deepEqual(checks('two'), [
      ['service:two:1', 'passing', 'ttl'],
      ['service:two:2', 'critical', 'grpc'],
    ]);
  });

  it('pass/warn/fail on an unknown check, or on one without a TTL, is Consul’s 500', async () => {
    await register(host(), {
      ID: 'probed',
      Name: 'probed',
      Check: { GRPC: '127.0.0.1:7000', Interval: '10s' },
    });
    for (const id of ['service:nobody', 'service:probed']) {
      const answer = await call(host(), 'PUT', `/v1/agent/check/pass/${encodeURIComponent(id)}`);
      assert.deepEqual([answer.status, answer.text], [500, `CheckID "${id}" does not have associated TTL`]);
    }
  });

  it('maintenance: 400 without enable or with a non-boolean one, 404 for an unknown id; enabled twice keeps the first reason', async () => {
    await register(host(), { ID: 'kept', Name: 'kept', Check: { TTL: '10s' } });
    const maintenance = (query: string, id = 'kept') =>
      call(host(), 'PUT', `/v1/agent/service/maintenance/${id}${query}`);
    assert.deepEqual(await maintenance('').then((a) => [a.status, a.text]), [
      400,
      'Missing value for enable',
    ]);
    assert.deepEqual(await maintenance('?enable=yes').then((a) => [a.status, a.text]), [
      400,
      'Invalid value for enable: "yes"',
    ]);
    const unknown = await maintenance('?enable=true', 'nobody');
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /^Unknown service ID "nobody"\. Ensure that the service ID is passed/);
    assert.equal((await maintenance('?enable=1&reason=first')).status, 200);
    assert.equal((await maintenance('?enable=true&reason=second')).status, 200);
    const notes = () =>
      agent.services
        .get('kept')!
        .checks.list()
        .map((check) => check.Notes);
    assert.deepEqual(notes(), ['', 'first']);
    await maintenance('?enable=false');
    assert.deepEqual(notes(), ['']);
  });

  it('reads carry X-Consul-Index, X-Consul-KnownLeader and X-Consul-LastContact; writes none; a wait without a unit is 400', async () => {
    const read = await call(host(), 'GET', '/v1/health/service/nothing');
    assert.ok(Number(read.headers.get('x-consul-index')) >= 1);
    assert.equal(read.headers.get('x-consul-knownleader'), 'true');
    assert.equal(read.headers.get('x-consul-lastcontact'), '0');
    const write = await register(host(), { ID: 'w', Name: 'w' });
    assert.equal(write.headers.get('x-consul-index'), null);
    const noUnit = await call(host(), 'GET', '/v1/health/service/w?index=1&wait=10');
    assert.deepEqual([noUnit.status, noUnit.text], [400, 'Invalid wait time']);
    const badIndex = await call(host(), 'GET', '/v1/health/service/w?index=x');
    assert.deepEqual([badIndex.status, badIndex.text], [400, 'Invalid index']);
  });

  it("a service's X-Consul-Index moves only when it changes; a blocking query on it is not woken by another service", async () => {
    await register(host(), { ID: 'a-1', Name: 'index-a', Check: { TTL: '10s', Status: 'passing' } });
    const indexOf = async (name: string) =>
      Number((await call(host(), 'GET', `/v1/health/service/${name}`)).headers.get('x-consul-index'));
    const before = await indexOf('index-a');
    const blocked = call(host(), 'GET', `/v1/health/service/index-a?index=${before}&wait=400ms`);
    const started = performance.now();
    await register(host(), { ID: 'b-1', Name: 'index-b' });
    assert.equal((await blocked).headers.get('x-consul-index'), String(before), 'answered at its wait');
    assert.ok(performance.now() - started >= 350, 'not woken by index-b');
    assert.ok((await indexOf('index-b')) > before);
    const woken = call(host(), 'GET', `/v1/health/service/index-a?index=${before}&wait=30s`);
    await register(host(), { ID: 'a-2', Name: 'index-a' });
    assert.ok(Number((await woken).headers.get('x-consul-index')) > before, 'woken by its own change');
  });

  it('the community edition refuses a namespace in the header too', async () => {
    const response = await fetch(`http://${host()}/v1/catalog/services`, {
      headers: { 'x-consul-namespace': 'team-a' },
    });
    assert.equal(response.status, 400);
    assert.match(await response.text(), /"X-Consul-Namespace" - Namespaces are a Consul Enterprise feature/);
  });
});

describe('the stand-in agent reaps as Consul does (manual clock)', { timeout: 10_000 }, () => {
  it('DeregisterCriticalServiceAfter under a minute counts as one minute; a check never reported critical is not reaped', async () => {
    const clock = new ManualClock();
    const agent = new FakeConsulAgent({ clock });
    const host = await agent.start();
    try {
      await register(host, {
        ID: 'short',
        Name: 'short',
        Check: { TTL: '1h', DeregisterCriticalServiceAfter: '30s' },
      });
      // Registered critical, never updated: no critical time yet, as in Consul.
      await register(host, {
        ID: 'idle',
        Name: 'idle',
        Check: { TTL: '1h', DeregisterCriticalServiceAfter: '1m' },
      });
      await call(host, 'PUT', '/v1/agent/check/fail/service:short');
      await clock.advance(2 * CONSUL_REAP_INTERVAL_MS);
      assert.ok(agent.services.has('short'), 'critical for 60 s: not past the one-minute minimum');
      await clock.advance(CONSUL_REAP_INTERVAL_MS);
      assert.ok(!agent.services.has('short'), 'reaped at the next cycle');
      assert.ok(agent.services.has('idle'));
    } finally {
      await agent.stop();
    }
  });
});
