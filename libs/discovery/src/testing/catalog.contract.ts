import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it, type TestContext } from 'node:test';

import type { Catalog, CatalogInstance } from '../catalog.js';
import { catalogOf } from '../catalog.js';
import { RegistryUnavailableError } from '../discovery.errors.js';
import type { ServiceInstance } from '../service-instance.js';
import type { DiscoveryContractSubject } from './discovery.contract.js';
import { contractInstance } from './discovery.contract.js';
import { startSilentServer } from './silent-server.js';
import { until, within } from './until.js';

const ids = (list: readonly ServiceInstance[]) => list.map((instance) => instance.id);

/** The subject's Catalog, or undefined (the test skipped) for a backend that has none. */
function catalogFor(subject: DiscoveryContractSubject, t: TestContext): Catalog | undefined {
  if (subject.backend.services && subject.backend.catalog) return catalogOf(subject.backend);
  t.skip('this backend has no Catalog (services()/catalog())');
  return undefined;
}

/** What an entry must be apart from `registeredAt`: the instance as registered, passing. */
function withoutRegisteredAt({ registeredAt: _registeredAt, ...entry }: CatalogInstance): CatalogInstance {
  return entry;
}

/** The Catalog of the registry (part of discoveryContract): every instance, its health, since when. */
export function catalogContract(subjectOf: () => DiscoveryContractSubject): void {
  it('catalog(name) lists every registered instance sorted by id: address, tags, metadata, passing, registeredAt; services() lists names sorted, once each', async (t) => {
    const subject = subjectOf();
    const catalog = catalogFor(subject, t);
    if (!catalog) return;
    const [service, other] = [`svc-${randomUUID()}`, `svc-${randomUUID()}`];
    const instances = [5301, 5302, 5303].map((port) => contractInstance(service, port));
    const elsewhere = contractInstance(other, 5304);
    const before = Date.now();
    for (const instance of [...instances, elsewhere, instances[0]]) await subject.backend.register(instance);
    const after = Date.now();
    try {
      const listed = await catalog.catalog(service);
      assert.deepEqual(ids(listed), ids(instances).sort(), 'each once, sorted by id');
      const byId = new Map(instances.map((instance) => [instance.id, instance]));
      for (const entry of listed) {
        assert.deepEqual(withoutRegisteredAt(entry), { ...byId.get(entry.id), health: 'passing' });
        if (subject.catalog?.withoutRegisteredAt) continue;
        const at = entry.registeredAt?.getTime() ?? NaN;
        assert.ok(
          before <= at && at <= after,
          `registeredAt ${entry.registeredAt?.toISOString()} is when it registered`,
        );
      }
      const services = await catalog.services();
      assert.ok(services.includes(service) && services.includes(other), 'both services listed');
      assert.deepEqual(services, [...new Set(services)].sort(), 'sorted, each once');
    } finally {
      for (const instance of [...instances, elsewhere]) await subject.backend.deregister(instance);
    }
  });

  it('an unknown name, or one no instance could have, is an empty catalog', async (t) => {
    const catalog = catalogFor(subjectOf(), t);
    if (!catalog) return;
    assert.deepEqual(await catalog.catalog(`svc-${randomUUID()}`), []);
    assert.deepEqual(await catalog.catalog('not a/service name'), []);
  });

  it('a deregistered instance leaves the catalog, and its service leaves services() with its last instance', async (t) => {
    const subject = subjectOf();
    const catalog = catalogFor(subject, t);
    if (!catalog) return;
    const service = `svc-${randomUUID()}`;
    const [one, two] = [contractInstance(service, 5311), contractInstance(service, 5312)];
    await subject.backend.register(one);
    await subject.backend.register(two);
    const withinMs = subject.catalog?.removedWithinMs ?? 0;
    await subject.backend.deregister(one);
    await until(
      async () => ids(await catalog.catalog(service)).join() === two.id,
      withinMs,
      'removal of one',
    );
    await subject.backend.deregister(two);
    await until(async () => (await catalog.catalog(service)).length === 0, withinMs, 'removal of two');
    assert.equal((await catalog.services()).includes(service), false, 'no instance left, no service');
  });

  it('an instance whose process is SIGKILLed leaves the catalog within its TTL', async (t) => {
    const subject = subjectOf();
    const catalog = catalogFor(subject, t);
    if (!catalog) return;
    if (!subject.crash)
      return t.skip(
        'no crash fixture: an in-process registry dies with its process, a stand-in agent does not expire',
      );
    const one = contractInstance(`svc-${randomUUID()}`, 5313);
    const kill = await subject.crash.registerElsewhere(one);
    await until(async () => ids(await catalog.catalog(one.name)).join() === one.id, 10_000, 'the listing');
    await kill();
    await until(async () => (await catalog.catalog(one.name)).length === 0, subject.crash.withinMs, 'expiry');
    assert.equal((await catalog.services()).includes(one.name), false);
  });

  it('aborting rejects with the signal’s reason, before and while waiting for the registry; a registry that never answers fails with RegistryUnavailableError', async (t) => {
    const subject = subjectOf();
    const catalog = catalogFor(subject, t);
    if (!catalog) return;
    const reason = new Error('operator pressed Ctrl-C');
    await assert.rejects(
      catalog.services({ signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    await assert.rejects(
      catalog.catalog('svc', { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    if (!subject.unresponsive) return; // an in-process registry never keeps anyone waiting
    const server = await startSilentServer();
    const hung = subject.unresponsive.connect(server.hostPort);
    try {
      const controller = new AbortController();
      const listing = catalogOf(hung).catalog('svc', { signal: controller.signal });
      const failing = within(catalogOf(hung).services(), subject.unresponsive.failWithinMs);
      controller.abort(reason);
      assert.deepEqual(await within(listing, subject.endsWithinMs), { error: reason }, 'aborted at once');
      const failed = await failing;
      assert.ok(
        failed !== 'pending' && 'error' in failed && failed.error instanceof RegistryUnavailableError,
        `expected RegistryUnavailableError within ${subject.unresponsive.failWithinMs} ms, got ${failed === 'pending' ? 'nothing' : String('error' in failed ? failed.error : 'a list')}`,
      );
    } finally {
      await hung.close?.();
      server.close();
    }
  });
}
