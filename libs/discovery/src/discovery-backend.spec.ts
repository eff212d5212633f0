import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Module } from '@nestjs/common';
import { startContext } from '@nestmesh/testing';

import { MemoryRegistry } from './adapters/memory/memory.registry.js';
import { createDiscoveryBackend, discoveryBackends } from './discovery-backend.js';
import { InvalidDiscoveryOptionsError } from './discovery.errors.js';
import { DiscoveryModule } from './discovery.module.js';
import { Discovery } from './discovery.js';
import { Registrar } from './registrar.js';

const invalid = (pattern: RegExp, secret?: string) => (error: unknown) =>
  error instanceof InvalidDiscoveryOptionsError &&
  pattern.test(error.message) &&
  (secret === undefined || !error.message.includes(secret));

describe('discovery URLs', { timeout: 30_000 }, () => {
  it('memory://<name> is a handle on the process-wide registry of that name', async () => {
    const name = `url-${randomUUID()}`;
    const one = { id: 'a', name: 'svc', address: '127.0.0.1', port: 1, tags: [], metadata: {} };
    await MemoryRegistry.named(name).register(one);
    const backend = await createDiscoveryBackend({ url: `memory://${name}` });
    assert.ok(backend instanceof MemoryRegistry);
    assert.deepEqual(await backend.instances('svc'), [one]);
    assert.deepEqual(await (await createDiscoveryBackend({ url: 'memory://other' })).instances('svc'), []);
    await assert.rejects(createDiscoveryBackend({ url: 'memory://?x=1' }), invalid(/unknown option "x"/));
  });

  it('etcd URLs: several hosts, credentials and options; bad values, no host, a path or an unknown option fail naming the URL without its password', async () => {
    const backend = await createDiscoveryBackend({
      url: 'etcd://root:pw@127.0.0.1:1,127.0.0.1:2?ttl=3&prefix=/x&timeout=500',
    });
    assert.equal(backend.constructor.name, 'EtcdRegistry');
    await backend.close?.();
    await assert.rejects(createDiscoveryBackend({ url: 'etcd://h:2379?ttl=-1' }), invalid(/ttl=-1/));
    await assert.rejects(createDiscoveryBackend({ url: 'etcd://h:2379?ttl=1.5' }), invalid(/integer/));
    await assert.rejects(createDiscoveryBackend({ url: 'etcd://' }), invalid(/names no etcd host/));
    await assert.rejects(
      createDiscoveryBackend({ url: 'etcd://h:2379?keepalive=1000' }),
      invalid(/below 5000/),
    );
    await assert.rejects(createDiscoveryBackend({ url: 'etcd://h:2379/x' }), invalid(/\?prefix=\/x/));
    await assert.rejects(
      createDiscoveryBackend({ url: 'etcd://root:hunter2@h:2379?tll=5' }),
      invalid(
        /"etcd:\/\/root:\*\*\*@h:2379\?tll=5": unknown option "tll"; this scheme takes ttl, prefix, timeout, keepalive, ca, cert, key, servername/,
        'hunter2',
      ),
    );
  });

  it('consul URLs: agent, dc, token, ns, check, wait; bad values fail naming the URL without its token', async () => {
    const backend = await createDiscoveryBackend({
      url: 'consul://127.0.0.1:8500?dc=dc1&token=t&ns=team&check=ttl&wait=1000',
    });
    assert.equal(backend.constructor.name, 'ConsulRegistry');
    await backend.close?.();
    await assert.rejects(
      createDiscoveryBackend({ url: 'consul://a:1?token=s3cret&check=http' }),
      invalid(/token=\*\*\*&check=http": check=http must be one of grpc, ttl/, 's3cret'),
    );
    await assert.rejects(createDiscoveryBackend({ url: 'consul://a:1,b:2' }), invalid(/one Consul agent/));
    await assert.rejects(
      createDiscoveryBackend({ url: 'consul://u:s3cret@a:1' }),
      invalid(/no user or password/, 's3cret'),
    );
  });

  it('an unknown scheme fails listing the known ones, without the password or token', async () => {
    await assert.rejects(
      createDiscoveryBackend({ url: 'zookeeper://u:hunter2@zk:2181?token=s3cret' }),
      (error: unknown) =>
        invalid(/unknown discovery scheme "zookeeper:"; known: .*consul:\/\/, .*etcd:\/\/, .*memory:\/\//)(
          error,
        ) &&
        !String(error).includes('hunter2') &&
        !String(error).includes('s3cret'),
    );
    await assert.rejects(createDiscoveryBackend({ url: 'not a url' }), invalid(/not a backend URL/));
  });

  it('a third-party scheme registered on discoveryBackends works end to end with DiscoveryModule.forRoot({ url })', async () => {
    const built: { hosts: readonly string[]; zone: string | undefined; backend: MemoryRegistry }[] = [];
    discoveryBackends.register('custom', {
      query: ['zone'],
      create: ([url]) => {
        const backend = new MemoryRegistry();
        built.push({ hosts: url.hosts, zone: url.string('zone'), backend });
        return backend;
      },
    });
    await assert.rejects(
      createDiscoveryBackend({ url: 'nope://x' }),
      invalid(/known: .*custom:\/\//),
      'the known schemes include it',
    );
    await assert.rejects(createDiscoveryBackend({ url: 'custom://x?region=1' }), invalid(/takes zone/));

    @Module({ imports: [DiscoveryModule.forRoot({ url: 'custom://registry-a:7000?zone=z1' })] })
    class AppModule {}
    const app = await startContext(AppModule);
    const watch = app.get<Discovery>(Discovery).watch('svc')[Symbol.asyncIterator]();
    try {
      assert.deepEqual(
        built.map(({ hosts, zone }) => [hosts, zone]),
        [[['registry-a:7000'], 'z1']],
      );
      assert.equal(app.get(Registrar), built[0].backend);
      assert.deepEqual((await watch.next()).value, []);
      const one = { id: 'c1', name: 'svc', address: '127.0.0.1', port: 9, tags: [], metadata: {} };
      await app.get<Registrar>(Registrar).register(one);
      assert.deepEqual((await watch.next()).value, [one]);
    } finally {
      await app.close();
    }
    assert.equal((await watch.next()).done, true, 'the app closed its backend, ending the watch');
  });
});

describe('the core loads no backend SDK', { timeout: 60_000 }, () => {
  const fixture = fileURLToPath(new URL('./core-imports.fixture.js', import.meta.url));
  /** Every module URL a process importing @nestmesh/discovery and building `url`'s backend resolved. */
  async function loadedBy(url: string): Promise<string[]> {
    const folder = mkdtempSync(join(tmpdir(), 'nestmesh-imports-'));
    try {
      const record = join(folder, 'resolved.txt');
      await promisify(execFile)(process.execPath, [fixture, record, url]);
      return readFileSync(record, 'utf8').split('\n').filter(Boolean);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  const sdk = (name: string) => (urls: string[]) =>
    urls.some((url) => url.includes(`/node_modules/${name}/`));

  it('importing @nestmesh/discovery and using memory:// never loads etcd3 or consul', async () => {
    const loaded = await loadedBy('memory://');
    assert.ok(
      loaded.some((url) => url.endsWith('/libs/discovery/dist/index.js')),
      'the recorder saw the core load',
    );
    assert.equal(sdk('etcd3')(loaded), false, 'etcd3 not loaded');
    assert.equal(sdk('consul')(loaded), false, 'consul not loaded');
  });

  it('the SDK is loaded when its URL is used (the check above can see it)', async () => {
    const [etcd, consul] = await Promise.all([
      loadedBy('etcd://127.0.0.1:9'),
      loadedBy('consul://127.0.0.1:9'),
    ]);
    assert.deepEqual([sdk('etcd3')(etcd), sdk('consul')(etcd)], [true, false]);
    assert.deepEqual([sdk('etcd3')(consul), sdk('consul')(consul)], [false, true]);
  });
});
