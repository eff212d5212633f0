import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';

import { discoveryContract } from '../../testing/discovery.contract.js';
import { MemoryRegistry } from './memory.registry.js';

discoveryContract('memory', () => {
  const name = `contract-${randomUUID()}`;
  const backend = MemoryRegistry.named(name);
  return Promise.resolve({
    backend,
    close: () => {
      backend.close();
      return Promise.resolve();
    },
    url: `memory://${name}`,
    // The memory registry has no timeout of its own: nothing but the abort or close() can end a watch.
    endsWithinMs: 5_000,
  });
});

describe('MemoryRegistry handles', { timeout: 10_000 }, () => {
  it('handles on one name share instances; closing one ends only its own watches', async () => {
    const name = `handles-${randomUUID()}`;
    const [first, second] = [MemoryRegistry.named(name), MemoryRegistry.named(name)];
    const one = { id: 'a', name: 'svc', address: '127.0.0.1', port: 1, tags: [], metadata: {} };
    await first.register(one);
    assert.deepEqual(await second.instances('svc'), [one]);
    const ofFirst = first.watch('svc')[Symbol.asyncIterator]();
    const ofSecond = second.watch('svc')[Symbol.asyncIterator]();
    await Promise.all([ofFirst.next(), ofSecond.next()]);
    first.close();
    assert.equal((await ofFirst.next()).done, true);
    await second.deregister(one);
    assert.deepEqual((await ofSecond.next()).value, []);
    second.close();
    assert.equal((await ofSecond.next()).done, true);
    assert.deepEqual(await MemoryRegistry.named(`other-${randomUUID()}`).instances('svc'), []);
  });
});
