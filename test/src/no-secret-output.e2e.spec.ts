// No secret is ever printed: a mesh whose every backend URL carries credentials (Redis with an
// ACL user, etcd with auth, both over TLS), read through everything an operator or a client sees — the
// processes' stdout and stderr from start to shutdown, the HTTP probes, the dashboard's
// snapshot, /metrics, /debug/traces, the `nestmesh` CLI, and the error paths of a wrong
// password — and searched for the secrets. Each secret is distinctive, so a hit is a leak.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { connect } from 'node:tls';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createTestCa, startAppProcess, type TestCa } from '@nestmesh/testing';

import { startMeshCluster, type MeshCluster } from './fixtures/mesh-cluster.js';
import { runCli } from './support/cli-process.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const nonce = randomBytes(6).toString('hex');
const SECRETS = {
  redis: `s3cret-redis-${nonce}`,
  etcd: `s3cret-etcd-${nonce}`,
  wrong: `s3cret-wrong-${nonce}`,
};

/** `url` with its password replaced by `password` (percent-encoding kept). */
function withPassword(url: string, password: string): string {
  const parsed = new URL(url);
  parsed.password = password;
  return parsed.toString();
}

/** What Redis (TLS, verified with `ca`) answers a client that does not authenticate. */
function unauthenticatedPing(port: number, ca: string): Promise<string> {
  return new Promise((resolvePing, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca }, () => socket.write('PING\r\n'));
    socket.setEncoding('utf8');
    socket.once('data', (answer: string) => {
      socket.destroy();
      resolvePing(answer);
    });
    socket.once('error', reject);
  });
}

/** Where `secret` sits in `text`, the secret itself masked, for a readable failure. */
function around(text: string, secret: string): string {
  const at = text.indexOf(secret);
  return `…${text.slice(Math.max(0, at - 120), at)}<SECRET>${text.slice(at + secret.length, at + secret.length + 60)}…`;
}

/** What etcd (TLS, verified with `ca`) answers a read without an auth token. */
function anonymousEtcdRead(endpoint: string, ca: string): Promise<string> {
  return new Promise((resolveRead, reject) => {
    const read = request(`${endpoint}/v3/kv/range`, { method: 'POST', ca }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.once('end', () => resolveRead(body));
    });
    read.once('error', reject);
    read.end(JSON.stringify({ key: Buffer.from('/').toString('base64') }));
  });
}

describe('no secret is ever printed', { timeout: 240_000 }, () => {
  const captured: { source: string; text: string }[] = [];
  const capture = (source: string, text: string) => captured.push({ source, text });
  let cluster: MeshCluster;
  let ca: TestCa;

  before(async () => {
    ca = await createTestCa();
    cluster = await startMeshCluster({
      inventories: 2,
      redis: { user: 'app', password: SECRETS.redis, tls: { ca } },
      etcd: { auth: { user: 'mesh', password: SECRETS.etcd }, tls: { ca } },
      env: { HTTP_RATE_LIMIT: 'false' },
    });
  });
  after(async () => {
    await cluster?.stop();
    await ca?.close();
  });

  it('the run uses the credentials: the backends refuse a client without them, the mesh works with them', async () => {
    assert.ok(cluster.redisUrl.includes(SECRETS.redis) && cluster.discoveryUrl.includes(SECRETS.etcd));
    assert.match(await unauthenticatedPing(cluster.redis.port, ca.ca), /^-NOAUTH/);
    const refusal = await anonymousEtcdRead(cluster.etcd.endpoint, ca.ca);
    assert.match(refusal, /user name is empty|invalid auth token/, 'etcd refuses an anonymous read');

    const order = await fetch(`${cluster.order!.httpUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku: 'A-1', quantity: 1 }] }),
    });
    capture('POST /orders', await order.text());
    assert.equal(order.status, 201, 'an order placed through etcd discovery and the Redis stock');
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

  it('none of the secrets appears in anything captured, the processes output up to their exit included', async () => {
    const processes = [
      ...cluster.inventories.map((inventory) => ({
        name: `inventory ${inventory.id}`,
        app: inventory.process,
      })),
      { name: 'order', app: cluster.order!.process },
    ];
    await cluster.stop();
    for (const { name, app } of processes) capture(`${name} stdout+stderr`, app.output());
    assert.ok(captured.length >= 15, `captured ${captured.length} outputs`);
    const leaks = captured.flatMap(({ source, text }) =>
      Object.entries(SECRETS)
        .filter(([, secret]) => text.includes(secret) || text.includes(encodeURIComponent(secret)))
        .map(([name, secret]) => `the ${name} secret in ${source}: ${around(text, secret)}`),
    );
    assert.deepEqual(leaks, []);
  });
});
