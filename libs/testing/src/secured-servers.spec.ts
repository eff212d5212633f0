import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { call } from './etcd-gateway.js';
import { startEtcd, type EtcdServer } from './etcd-server.js';
import { ping, startRedis, type RedisServer } from './redis-server.js';
import { createTestCa, type TestCa } from './test-ca.js';

describe('startRedis and startEtcd with TLS and credentials', { timeout: 120_000 }, () => {
  let ca: TestCa;
  const started: { stop(): Promise<void> }[] = [];

  before(async () => {
    ca = await createTestCa();
  });

  after(async () => {
    await Promise.all(started.map((server) => server.stop()));
    await ca.close();
  });

  async function redis(options: Parameters<typeof startRedis>[0]): Promise<RedisServer> {
    const server = await startRedis(options);
    started.push(server);
    return server;
  }

  it('without options: plaintext redis:// with no credentials, as before', async () => {
    const server = await redis({});
    assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
    assert.equal(await ping({ port: server.port }), true);
  });

  it('an ACL user over TLS only: rediss:// with the user, the password and ?ca=; others are refused', async () => {
    const server = await redis({ user: 'app', password: 'p@ss word', tls: { ca } });
    const url = new URL(server.url);
    assert.equal(url.protocol, 'rediss:');
    assert.equal(decodeURIComponent(url.username), 'app');
    assert.equal(decodeURIComponent(url.password), 'p@ss word');
    assert.equal(url.searchParams.get('ca'), ca.caFile);
    assert.equal(await ping({ port: server.port, ca: ca.ca, auth: ['app', 'p@ss word'] }), true);
    assert.equal(await ping({ port: server.port, ca: ca.ca, auth: ['app', 'wrong'] }), false);
    // The default user is off: a password alone (requirepass style) is not enough.
    assert.equal(await ping({ port: server.port, ca: ca.ca, auth: ['p@ss word'] }), false);
    assert.equal(await ping({ port: server.port }), false, 'plaintext must not be served');
  });

  it('requirepass without TLS: redis://:<password>@ and PING needs AUTH', async () => {
    const server = await redis({ password: 'secret' });
    assert.equal(server.url, `redis://:secret@127.0.0.1:${server.port}`);
    assert.equal(await ping({ port: server.port }), false);
    assert.equal(await ping({ port: server.port, auth: ['secret'] }), true);
  });

  it('etcd with TLS and auth: etcds:// with the user and ?ca=; anonymous requests are refused, a restart keeps auth', async () => {
    const etcd: EtcdServer = await startEtcd({ tls: { ca }, auth: { user: 'app', password: 'secret' } });
    started.push(etcd);
    const url = new URL(etcd.url);
    assert.equal(url.protocol, 'etcds:');
    assert.equal(`${url.username}:${url.password}`, 'app:secret');
    assert.equal(url.searchParams.get('ca'), ca.caFile);
    assert.match(etcd.endpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
    const anonymous = { endpoint: etcd.endpoint, ca: ca.ca };
    const range = { key: Buffer.from('k').toString('base64') };
    assert.notEqual((await call(anonymous, 'POST', '/v3/kv/range', range)).status, 200);
    const login = await call(anonymous, 'POST', '/v3/auth/authenticate', { name: 'app', password: 'secret' });
    assert.equal(login.status, 200);
    const refused = await call(anonymous, 'POST', '/v3/auth/authenticate', { name: 'app', password: 'nope' });
    assert.notEqual(refused.status, 200);
    await etcd.kill('SIGTERM');
    await etcd.start();
    assert.notEqual((await call(anonymous, 'POST', '/v3/kv/range', range)).status, 200);
  });
});
