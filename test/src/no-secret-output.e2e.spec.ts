// No secret is ever printed: a mesh whose every backend URL carries credentials (Redis with an
// ACL user and etcd with auth, both over TLS; one inventory on Consul with an ACL token over
// HTTPS) and whose apps talk mutual TLS, read through everything an operator or a client sees:
// the processes' stdout and stderr from start to shutdown, the HTTP probes, the dashboard's
// snapshot, /metrics, /debug/traces, the `nestmesh` CLI, and the error paths of a wrong
// password, token or key. Each secret (and a line of each private key) is distinctive, so a
// hit is a leak.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createTestCa, startAppProcess, type AppProcess, type TestCa } from '@nestmesh/testing';

// Consul cannot run on our machines: discovery's stand-in agent (its documented HTTP API, over
// HTTPS, refusing tokens it does not know as an agent with ACLs on does).
import { FakeConsulAgent } from '../../libs/discovery/dist/adapters/consul/fake-consul-agent.fixture.js';

import { startMeshCluster, type MeshCluster } from './fixtures/mesh-cluster.js';
import { runCli } from './support/cli-process.js';
import {
  anonymousEtcdRead,
  consulReadStatus,
  keyLine,
  leaksOf,
  unauthenticatedPing,
  withPassword,
} from './support/secret-probes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const nonce = randomBytes(6).toString('hex');
const SECRETS = {
  redis: `s3cret-redis-${nonce}`,
  etcd: `s3cret-etcd-${nonce}`,
  consul: `s3cret-consul-${nonce}`,
  wrong: `s3cret-wrong-${nonce}`,
};

describe('no secret is ever printed', { timeout: 300_000 }, () => {
  const captured: { source: string; text: string }[] = [];
  const capture = (source: string, text: string) => captured.push({ source, text });
  let cluster: MeshCluster;
  let ca: TestCa;
  let meshKey: string;
  let otherKey: string;
  let consul: FakeConsulAgent;
  let consulAgent: string;
  let consulUrl: (token: string) => string;
  let onConsul: AppProcess;

  const startInventoryOnConsul = (token: string) =>
    startAppProcess(join(root, 'apps/inventory/dist/main.js'), {
      env: { DISCOVERY_URL: consulUrl(token), REDIS_URL: cluster.redisUrl, METRICS_PORT: '0' },
      readyPattern: /inventory ready/,
    });

  before(async () => {
    ca = await createTestCa();
    // Mutual TLS between the apps, one certificate named `mesh` for all: its key must never show.
    const mesh = await ca.issue('mesh', { dns: ['mesh'], ips: ['127.0.0.1'] });
    meshKey = keyLine(mesh.key);
    const meshTls = {
      GRPC_TLS_CERT: mesh.certFile,
      GRPC_TLS_KEY: mesh.keyFile,
      GRPC_TLS_CA: ca.caFile,
      GRPC_TLS_CLIENT_AUTH: 'require',
      GRPC_TLS_SERVER_NAME: 'mesh',
    };
    cluster = await startMeshCluster({
      inventories: 2,
      redis: { user: 'app', password: SECRETS.redis, tls: { ca } },
      etcd: { auth: { user: 'mesh', password: SECRETS.etcd }, tls: { ca } },
      env: { HTTP_RATE_LIMIT: 'false', ...meshTls },
    });
    const certificate = await ca.issue('consul', { dns: ['localhost'], ips: ['127.0.0.1'] });
    consul = new FakeConsulAgent({ tokens: [SECRETS.consul], tls: certificate });
    consulAgent = await consul.start();
    // ttl checks: the app heartbeats; the stand-in agent cannot dial a gRPC health check.
    consulUrl = (token) =>
      `consuls://${consulAgent}?ca=${encodeURIComponent(ca.caFile)}&token=${encodeURIComponent(token)}&check=ttl`;
    onConsul = await startInventoryOnConsul(SECRETS.consul);
  });
  after(async () => {
    await onConsul?.stop();
    await consul?.stop();
    await cluster?.stop();
    await ca?.close();
  });

  it('the run uses the credentials: the backends refuse a client without them, the mesh works with them', async () => {
    assert.ok(cluster.redisUrl.includes(SECRETS.redis) && cluster.discoveryUrl.includes(SECRETS.etcd));
    assert.match(await unauthenticatedPing(cluster.redis.port, ca.ca), /^-NOAUTH/);
    const refusal = await anonymousEtcdRead(cluster.etcd.endpoint, ca.ca);
    assert.match(refusal, /user name is empty|invalid auth token/, 'etcd refuses an anonymous read');
    assert.equal(
      await consulReadStatus(consulAgent, ca.ca, SECRETS.wrong),
      403,
      'Consul refuses another token',
    );
    const registered = consul.requestsTo('/v1/agent/service/register');
    assert.ok(registered.some((request) => request.headers['x-consul-token'] === SECRETS.consul));
    assert.ok(consul.services.size >= 1, 'the inventory registered on Consul with its token');

    const order = await fetch(`${cluster.order!.httpUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku: 'A-1', quantity: 1 }] }),
    });
    capture('POST /orders', await order.text());
    assert.equal(order.status, 201, 'an order placed through etcd discovery, the Redis stock and mTLS');
    assert.match(cluster.inventories[0].process.output(), /mutual TLS/, 'the inventories serve mTLS');
  });

  it('HTTP: probes, the dashboard snapshot, metrics and traces', async () => {
    const base = cluster.order!.httpUrl;
    const answers = new Map<string, string>();
    for (const path of ['/healthz', '/readyz', '/mesh/api/snapshot', '/metrics', '/debug/traces']) {
      const response = await fetch(`${base}${path}`);
      const text = await response.text();
      capture(`GET ${path}`, text);
      answers.set(path, text);
      assert.equal(response.status, 200, `${path}: ${text.slice(0, 300)}`);
    }
    const snapshot = answers.get('/mesh/api/snapshot') ?? '';
    assert.match(snapshot, /etcds:\/\/mesh:\*\*\*@/, 'the snapshot names the backends, redacted');
    assert.match(snapshot, /rediss:\/\/app:\*\*\*@/);
    for (const inventory of cluster.inventories) {
      capture(`GET ${inventory.metricsUrl}`, await (await fetch(inventory.metricsUrl)).text());
    }
  });

  it('the nestmesh CLI: services, leader and locks, as text and --json', async () => {
    const env = { DISCOVERY_URL: cluster.discoveryUrl, REDIS_URL: cluster.redisUrl };
    for (const args of [
      ['services'],
      ['leader', 'inventory'],
      ['locks'],
      ['--json', 'services'],
      ['--json', 'locks'],
    ]) {
      const run = await runCli(args, { env });
      capture(`nestmesh ${args.join(' ')}`, run.stdout + run.stderr);
      assert.equal(run.code, 0, `nestmesh ${args.join(' ')}: ${run.stderr}`);
    }
    const catalog = await runCli(['services'], { env: { DISCOVERY_URL: consulUrl(SECRETS.consul) } });
    capture('nestmesh services (Consul)', catalog.stdout + catalog.stderr);
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.match(catalog.stdout, /^inventory\s/m);
    const onEtcd = await runCli(['leader', 'inventory'], { env: { ...env, ELECTION_URL: cluster.etcd.url } });
    capture('nestmesh leader (etcd)', onEtcd.stdout + onEtcd.stderr);
    assert.doesNotMatch(onEtcd.stderr, /authentication failed|BACKEND_AUTH/, 'the CLI authenticates to etcd');
  });

  it('a wrong Redis password at startup: the process exits with an error naming Redis, without the password', async () => {
    const started = startAppProcess(join(root, 'apps/inventory/dist/main.js'), {
      env: {
        DISCOVERY_URL: cluster.discoveryUrl,
        REDIS_URL: withPassword(cluster.redisUrl, SECRETS.wrong),
        METRICS_PORT: '0',
      },
      readyPattern: /inventory ready/,
    });
    const error = await started.then(
      () => assert.fail('an inventory with a wrong Redis password got ready'),
      (failure: unknown) => failure as Error,
    );
    capture('inventory with a wrong Redis password', error.message);
    assert.match(error.message, /exited \(\d+\) before it was ready/);
    assert.match(error.message, /BackendAuthError: redis rediss:\/\/app:\*\*\*@127\.0\.0\.1:\d+/);
    assert.match(error.message, /code: 'BACKEND_AUTH'/, 'a typed error');
    assert.match(error.message, /WRONGPASS|authentication|NOAUTH/i);

    const run = await runCli(['locks'], {
      env: { REDIS_URL: withPassword(cluster.redisUrl, SECRETS.wrong) },
    });
    capture('nestmesh locks with a wrong Redis password', run.stdout + run.stderr);
    assert.notEqual(run.code, 0, 'the CLI fails on a refused password');
    assert.match(run.stderr, /redis/i);
  });

  it('a wrong etcd password at startup: the process exits with an error naming etcd, without the password', async () => {
    const started = startAppProcess(join(root, 'apps/order/dist/main.js'), {
      env: { PORT: '0', DISCOVERY_URL: withPassword(cluster.discoveryUrl, SECRETS.wrong) },
      readyPattern: /order ready/,
    });
    const error = await started.then(
      () => assert.fail('an order app with a wrong etcd password got ready'),
      (failure: unknown) => failure as Error,
    );
    capture('order with a wrong etcd password', error.message);
    assert.match(error.message, /exited \(\d+\) before it was ready/);
    assert.match(error.message, /BackendAuthError: etcd etcds:\/\/mesh:\*\*\*@127\.0\.0\.1:\d+/);
    assert.match(error.message, /authentication failed/);
    assert.match(error.message, /code: 'BACKEND_AUTH'/, 'a typed error');

    const run = await runCli(['services'], {
      env: { DISCOVERY_URL: withPassword(cluster.discoveryUrl, SECRETS.wrong) },
    });
    capture('nestmesh services with a wrong etcd password', run.stdout + run.stderr);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /etcd/);
  });

  it('a wrong Consul token at startup: the process exits with an error naming Consul, without the token', async () => {
    const error = await startInventoryOnConsul(SECRETS.wrong).then(
      () => assert.fail('an inventory with a wrong Consul token got ready'),
      (failure: unknown) => failure as Error,
    );
    capture('inventory with a wrong Consul token', error.message);
    assert.match(error.message, /exited \(\d+\) before it was ready/);
    assert.match(error.message, /BackendAuthError: consul\b.*authentication failed/, 'names the backend');
    assert.match(error.message, /code: 'BACKEND_AUTH'/, 'a typed error');
    const run = await runCli(['services'], { env: { DISCOVERY_URL: consulUrl(SECRETS.wrong) } });
    capture('nestmesh services with a wrong Consul token', run.stdout + run.stderr);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /consul/i);
  });

  it('a gRPC key that does not match its certificate: the process exits naming GRPC_TLS_KEY, without the key', async () => {
    const mesh = await ca.issue('mesh', { dns: ['mesh'], ips: ['127.0.0.1'] });
    const other = await ca.issue('other', { dns: ['other'] });
    otherKey = keyLine(other.key);
    const error = await startAppProcess(join(root, 'apps/inventory/dist/main.js'), {
      env: {
        GRPC_TLS_CERT: mesh.certFile,
        GRPC_TLS_KEY: other.keyFile,
        GRPC_TLS_CA: ca.caFile,
        METRICS_PORT: '0',
      },
      readyPattern: /inventory ready/,
    }).then(
      () => assert.fail('an inventory with a key of another certificate got ready'),
      (failure: unknown) => failure as Error,
    );
    capture('inventory with a mismatched gRPC key', error.message);
    assert.match(error.message, /GRPC_TLS_KEY/);
    assert.match(error.message, /code: 'TLS_CONFIG'/, 'a typed error');
  });

  it('none of the secrets appears in anything captured, the processes output up to their exit included', async () => {
    const processes = [
      ...cluster.inventories.map((inventory) => ({
        name: `inventory ${inventory.id}`,
        app: inventory.process,
      })),
      { name: 'order', app: cluster.order!.process },
      { name: 'inventory on Consul', app: onConsul },
    ];
    await onConsul.stop();
    await cluster.stop();
    for (const { name, app } of processes) capture(`${name} stdout+stderr`, app.output());
    assert.ok(captured.length >= 15, `captured ${captured.length} outputs`);
    const leaks = leaksOf(captured, { ...SECRETS, 'gRPC TLS key': meshKey, 'another key': otherKey });
    assert.deepEqual(leaks, []);
  });
});
