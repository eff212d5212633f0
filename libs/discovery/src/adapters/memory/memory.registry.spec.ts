import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createDiscoveryBackend } from '../../discovery-backend.js';
import { InvalidDiscoveryOptionsError } from '../../discovery.errors.js';
import { discoveryContract } from '../../testing/discovery.contract.js';
import { MemoryRegistry } from './memory.registry.js';

discoveryContract('memory', async () => ({ backend: new MemoryRegistry(), close: async () => {} }));

describe('discovery URL', () => {
  it('memory://<name> selects one process-wide registry per name', () => {
    assert.equal(createDiscoveryBackend({ url: 'memory://a' }), MemoryRegistry.named('a'));
    assert.notEqual(createDiscoveryBackend({ url: 'memory://b' }), MemoryRegistry.named('a'));
    assert.equal(createDiscoveryBackend({ url: 'memory://' }), MemoryRegistry.named());
  });

  it('an unknown scheme fails with an error naming the URL', () => {
    assert.throws(
      () => createDiscoveryBackend({ url: 'zookeeper://zk:2181' }),
      (error: unknown) =>
        error instanceof InvalidDiscoveryOptionsError && error.message.includes('zookeeper://zk:2181'),
    );
  });
});
