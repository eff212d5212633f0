import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import type { DiscoveryBackend } from '../discovery-backend.js';
import { InvalidServiceInstanceError } from '../discovery.errors.js';
import type { ServiceInstance } from '../service-instance.js';
import { catalogContract } from './catalog.contract.js';
import { endingContract } from './ending.contract.js';
import { outageContract } from './outage.contract.js';
import { until } from './until.js';

export interface DiscoveryContractSubject {
  backend: DiscoveryBackend;
  /** Stops whatever the subject started (servers, clients), the backend included. */
  close(): Promise<void>;
  /**
   * An abort or `close()` must end a watch within this many ms. Configure the backend's own
   * timeouts (request deadline, blocking-query wait) above it, so that only the abort or the
   * close can have ended the watch in time.
   */
  endsWithinMs: number;
  /**
   * The same registry by URL, with the timeouts above: a child process builds its backend
   * from it, watches, closes it, and must then exit by itself within `endsWithinMs`.
   */
  url: string;
  /** Modules the child process imports first, e.g. the one registering a third-party scheme. */
  childImports?: string[];
  /**
   * A client of this kind for `host:port`, where something accepts connections and never
   * answers: a watch on it must fail with RegistryUnavailableError within `failWithinMs`.
   */
  unresponsive?: { connect(hostPort: string): DiscoveryBackend; failWithinMs: number };
  /**
   * For registries outside this process: registers `instance` from another process and returns
   * that process's SIGKILL; the instance must be gone `withinMs` after the kill.
   */
  crash?: { registerElsewhere(instance: ServiceInstance): Promise<() => Promise<void>>; withinMs: number };
  /**
   * Takes the registry down and brings it back. Once down, watches and listings must fail
   * within `failWithinMs`; once back, registrations and watches must recover within
   * `recoverWithinMs`.
   */
  outage?: { stop(): Promise<void>; start(): Promise<void>; failWithinMs: number; recoverWithinMs: number };
  /** The registry takes the instance's health from `register(…, { healthy })` (a Consul TTL check), within this many ms. */
  healthFromAppWithinMs?: number;
  /**
   * What the Catalog cases expect of a backend that has one (a backend without is skipped):
   * by default `registeredAt` is recorded and a deregistered instance leaves the catalog at
   * once. `removedWithinMs`: it leaves within this many ms instead (Consul keeps it, in
   * maintenance, until the registry removes it).
   */
  catalog?: { withoutRegisteredAt?: boolean; removedWithinMs?: number };
}

/** A fresh instance of `service` (unique id) for the suites. */
export function contractInstance(service: string, port: number): ServiceInstance {
  return {
    id: `${service}-${port}-${randomUUID().slice(0, 8)}`,
    name: service,
    address: '127.0.0.1',
    port,
    tags: ['v1'],
    metadata: { zone: 'a' },
  };
}

/**
 * The behaviour every discovery adapter must show, including what `watch` does when the
 * registry fails or the backend closes (see Discovery); run it once per adapter.
 */
export function discoveryContract(adapter: string, setup: () => Promise<DiscoveryContractSubject>): void {
  describe(`discovery contract: ${adapter}`, { timeout: 120_000 }, () => {
    let subject: DiscoveryContractSubject;
    before(async () => (subject = await setup()));
    after(async () => subject?.close());
    const instance = contractInstance;

    it('returns a registered instance with its tags and metadata', async () => {
      const service = `svc-${randomUUID()}`;
      const one = instance(service, 5001);
      await subject.backend.register(one);
      assert.deepEqual(await subject.backend.instances(service), [one]);
      await subject.backend.deregister(one);
    });

    it('watch yields the current list first, then the list after each change', async () => {
      const service = `svc-${randomUUID()}`;
      const [first, second] = [instance(service, 5001), instance(service, 5002)];
      await subject.backend.register(first);
      const controller = new AbortController();
      const seen = subject.backend.watch(service, { signal: controller.signal })[Symbol.asyncIterator]();
      assert.deepEqual((await seen.next()).value, [first]);
      await subject.backend.register(second);
      const afterAdd = (await seen.next()).value as ServiceInstance[];
      assert.deepEqual(afterAdd.map((i) => i.id).sort(), [first.id, second.id].sort());
      await subject.backend.deregister(first);
      assert.deepEqual((await seen.next()).value, [second]);
      controller.abort();
      assert.equal((await seen.next()).done, true, 'the watch ends when its signal aborts');
      await subject.backend.deregister(second);
    });

    it('deregister removes the instance, and removing an unknown one succeeds', async () => {
      const service = `svc-${randomUUID()}`;
      const one = instance(service, 5003);
      await subject.backend.register(one);
      await subject.backend.deregister(one);
      assert.deepEqual(await subject.backend.instances(service), []);
      await subject.backend.deregister(one);
    });

    it('rejects an instance without a routable port with InvalidServiceInstanceError', async () => {
      const bad = { ...instance(`svc-${randomUUID()}`, 5004), port: 0 };
      await assert.rejects(subject.backend.register(bad), InvalidServiceInstanceError);
    });

    it('a watch consumer that breaks out stops receiving without affecting others', async () => {
      const service = `svc-${randomUUID()}`;
      const one = instance(service, 5005);
      for await (const list of subject.backend.watch(service)) {
        assert.deepEqual(list, []);
        break;
      }
      await subject.backend.register(one);
      assert.deepEqual(await subject.backend.instances(service), [one]);
      await subject.backend.deregister(one);
    });

    it('an instance whose process is SIGKILLed disappears within its TTL', async (t) => {
      if (!subject.crash)
        return t.skip(
          'no crash fixture: an in-process registry dies with its process, a stand-in agent does not expire',
        );
      const one = instance(`svc-${randomUUID()}`, 5006);
      const kill = await subject.crash.registerElsewhere(one);
      await until(
        async () => (await subject.backend.instances(one.name)).length === 1,
        10_000,
        'the registration',
      );
      await kill();
      await until(
        async () => (await subject.backend.instances(one.name)).length === 0,
        subject.crash.withinMs,
        'the expiry',
      );
    });

    it('an instance that reports itself unhealthy is not returned', async (t) => {
      if (subject.healthFromAppWithinMs === undefined) {
        return t.skip(
          'this registry has no health beyond registration itself (a lease, or presence in memory)',
        );
      }
      let healthy = true;
      const one = instance(`svc-${randomUUID()}`, 5007);
      await subject.backend.register(one, { healthy: () => healthy });
      await until(async () => (await subject.backend.instances(one.name)).length === 1, 10_000, 'passing');
      healthy = false;
      await until(
        async () => (await subject.backend.instances(one.name)).length === 0,
        subject.healthFromAppWithinMs,
        'critical',
      );
      await subject.backend.deregister(one);
    });

    endingContract(() => subject);
    outageContract(() => subject);
    catalogContract(() => subject);
  });
}
