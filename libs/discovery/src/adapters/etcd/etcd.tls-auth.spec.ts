import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackendAuthError, BackendTlsFileError } from '@nestmesh/common';
import { createTestCa, startEtcd, type EtcdServer, type TestCa } from '@nestmesh/testing';

import { createDiscoveryBackend } from '../../discovery-backend.js';
import type { ServiceInstance } from '../../service-instance.js';

const PASSWORD = 'etcd p@ss/1';

const instance: ServiceInstance = {
  id: 'inventory-tls-1',
  name: 'inventory',
  address: '127.0.0.1',
  port: 50051,
  tags: [],
  metadata: { grpc_tls: 'tls' },
};

// Discovery on an etcd that speaks TLS only and has auth on (user "app", root role).
describe('etcds:// with etcd auth: discovery', { timeout: 90_000 }, () => {
  let ca: TestCa;
  let etcd: EtcdServer;
  before(async () => {
    ca = await createTestCa();
    etcd = await startEtcd({ tls: { ca }, auth: { user: 'app', password: PASSWORD } });
  });
  after(async () => {
    await etcd?.stop();
    await ca?.close();
  });

  it('registers, resolves and watches over TLS as that user', async (t) => {
    assert.match(etcd.url, /^etcds:\/\/app:.+@127\.0\.0\.1:\d+\?ca=/);
    const backend = await createDiscoveryBackend({ url: `${etcd.url}&ttl=5&timeout=4000` });
    const watching = new AbortController();
    t.after(async () => {
      watching.abort();
      await backend.close?.();
    });
    const seen: string[][] = [];
    const watch = (async () => {
      for await (const list of backend.watch('inventory', { signal: watching.signal })) {
        seen.push(list.map((item) => item.id));
        if (seen.length > 1 && list.length === 0) return;
      }
    })();
    await backend.register(instance);
    assert.deepEqual(
      (await backend.instances('inventory')).map((item) => [item.id, item.metadata.grpc_tls]),
      [['inventory-tls-1', 'tls']],
    );
    await backend.deregister(instance);
    await watch;
    assert.ok(
      seen.some((ids) => ids.includes('inventory-tls-1')),
      `the watch saw the registration: ${JSON.stringify(seen)}`,
    );
    assert.deepEqual(seen.at(-1), []);
  });

  it('a wrong password: BackendAuthError naming etcd at startup, password redacted', async () => {
    const wrong = etcd.url.replace(encodeURIComponent(PASSWORD), 'wr0ng');
    await assert.rejects(createDiscoveryBackend({ url: wrong }), (error: unknown) => {
      assert.ok(error instanceof BackendAuthError, String(error));
      assert.equal(error.backend, 'etcd');
      assert.match(
        error.message,
        /^etcd etcds:\/\/app:\*\*\*@127\.0\.0\.1:\d+\S*: authentication failed \(.*authentication failed/,
      );
      assert.ok(!error.message.includes('wr0ng') && !error.message.includes(encodeURIComponent(PASSWORD)));
      return true;
    });
  });

  it('no credentials where etcd has auth on: BackendAuthError', async () => {
    const anonymous = etcd.url.replace(/app:[^@]*@/, '');
    await assert.rejects(createDiscoveryBackend({ url: anonymous }), BackendAuthError);
  });

  it('an unreadable ?ca= file: BackendTlsFileError naming the parameter and the file', async () => {
    const missing = join(ca.dir, 'missing.crt');
    const url = etcd.url.replace(/\?ca=[^&]*/, `?ca=${missing}`);
    await assert.rejects(createDiscoveryBackend({ url }), (error: unknown) => {
      assert.ok(error instanceof BackendTlsFileError, String(error));
      assert.ok(error.message.includes(`?ca=${missing} cannot be read`), error.message);
      return true;
    });
  });
});
