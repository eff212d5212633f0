import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createDiscoveryBackend } from '../../discovery-backend.js';
import { InvalidDiscoveryOptionsError } from '../../discovery.errors.js';
import { discoveryContract } from '../../testing/discovery.contract.js';
import { MemoryRegistry } from './memory.registry.js';

discoveryContract('memory', async () => ({ backend: new MemoryRegistry(), close: async () => {} }));

describe('discovery URL', () => {
  it('memory://<name> selects one process-wide registry per name', async () => {
    assert.equal(await createDiscoveryBackend({ url: 'memory://a' }), MemoryRegistry.named('a'));
    assert.notEqual(await createDiscoveryBackend({ url: 'memory://b' }), MemoryRegistry.named('a'));
    assert.equal(await createDiscoveryBackend({ url: 'memory://' }), MemoryRegistry.named());
  });

  it('etcd URLs: several hosts, options in the query; bad values fail naming the URL', async () => {
    const backend = await createDiscoveryBackend({ url: 'etcd://127.0.0.1:1,127.0.0.1:2?ttl=3&prefix=/x' });
    assert.equal(backend.constructor.name, 'EtcdRegistry');
    await backend.close?.();
    await assert.rejects(createDiscoveryBackend({ url: 'etcd://h:2379?ttl=-1' }), /ttl=-1/);
    await assert.rejects(createDiscoveryBackend({ url: 'etcd://' }), InvalidDiscoveryOptionsError);
  });

  it('consul URLs: agent, dc, token, check mode; a bad check mode fails naming the URL', async () => {
    const backend = await createDiscoveryBackend({ url: 'consul://127.0.0.1:8500?dc=dc1&token=t&check=ttl' });
    assert.equal(backend.constructor.name, 'ConsulRegistry');
    await backend.close?.();
    await assert.rejects(createDiscoveryBackend({ url: 'consul://a:1?check=http' }), /check=http/);
  });

  it('an unknown scheme fails with an error naming the URL', async () => {
    await assert.rejects(
      createDiscoveryBackend({ url: 'zookeeper://zk:2181' }),
      (error: unknown) =>
        error instanceof InvalidDiscoveryOptionsError && error.message.includes('zookeeper://zk:2181'),
    );
    await assert.rejects(createDiscoveryBackend({ url: 'not a url' }), /not a discovery URL/);
  });
});
