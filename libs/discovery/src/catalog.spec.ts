import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MemoryRegistry } from './adapters/memory/memory.registry.js';
import { catalogOf } from './catalog.js';
import { createDiscoveryBackend, discoveryBackends, type DiscoveryBackend } from './discovery-backend.js';
import { InvalidDiscoveryOptionsError } from './discovery.errors.js';

/** A third-party backend that can register and discover but not list its registry. */
class ZooKeeperLikeRegistry implements DiscoveryBackend {
  private readonly inner = new MemoryRegistry();
  register = this.inner.register.bind(this.inner);
  deregister = this.inner.deregister.bind(this.inner);
  instances = this.inner.instances.bind(this.inner);
  watch = this.inner.watch.bind(this.inner);
}

describe('catalogOf', { timeout: 10_000 }, () => {
  it('refuses a backend without services()/catalog() with InvalidDiscoveryOptionsError naming its scheme and class', async () => {
    discoveryBackends.register('zk-like', { create: () => new ZooKeeperLikeRegistry() });
    const backend = await createDiscoveryBackend({ url: 'zk-like://zk1:2181' });
    assert.throws(
      () => catalogOf(backend),
      (error: unknown) =>
        error instanceof InvalidDiscoveryOptionsError &&
        /^discovery: the zk-like:\/\/ discovery backend \(ZooKeeperLikeRegistry\) cannot list its registry/.test(
          error.message,
        ),
    );
    assert.throws(
      () => catalogOf(new ZooKeeperLikeRegistry()),
      /the discovery backend ZooKeeperLikeRegistry/,
    );
    const halfway = Object.assign(new ZooKeeperLikeRegistry(), { services: () => Promise.resolve([]) });
    assert.throws(() => catalogOf(halfway), /implements no catalog\(\)/);
  });

  it("is the backend's own catalog", async () => {
    const registry = new MemoryRegistry();
    const one = { id: 'a', name: 'svc', address: '127.0.0.1', port: 1, tags: [], metadata: {} };
    await registry.register(one);
    const catalog = catalogOf(registry);
    assert.deepEqual(await catalog.services(), ['svc']);
    assert.deepEqual(
      (await catalog.catalog('svc')).map((entry) => [entry.id, entry.health]),
      [['a', 'passing']],
    );
  });
});
