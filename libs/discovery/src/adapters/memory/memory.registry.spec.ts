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

describe('MemoryRegistry catalog', { timeout: 10_000 }, () => {
  it('stamps registeredAt with its clock at register (again on a re-registration), copies it out, and lists only live services', async () => {
    let now = new Date('2026-01-02T03:04:05.006Z');
    const registry = MemoryRegistry.named(`catalog-${randomUUID()}`, { now: () => now });
    const one = { id: 'a', name: 'svc', address: '127.0.0.1', port: 1, tags: [], metadata: {} };
    await registry.register(one);
    const [listed] = await registry.catalog('svc');
    assert.deepEqual(listed, {
      ...one,
      health: 'passing',
      registeredAt: new Date('2026-01-02T03:04:05.006Z'),
    });
    listed.registeredAt.setTime(0);
    assert.deepEqual((await registry.catalog('svc'))[0].registeredAt, new Date('2026-01-02T03:04:05.006Z'));
    now = new Date('2026-01-02T03:05:00.000Z');
    await registry.register(one);
    assert.deepEqual((await registry.catalog('svc'))[0].registeredAt, now);
    await registry.deregister(one);
    assert.deepEqual(await registry.services(), [], 'a service without instances is no longer listed');
  });
});
