import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { DiscoveryBackend } from '../discovery-backend.js';
import { InvalidServiceInstanceError, RegistryUnavailableError } from '../discovery.errors.js';
import type { ServiceInstance } from '../service-instance.js';

export interface DiscoveryContractSubject {
  backend: DiscoveryBackend;
  /** Stops whatever the subject started (servers, clients). */
  close(): Promise<void>;
  /**
   * For registries outside this process: registers `instance` from another process and returns
   * that process's SIGKILL; the instance must be gone `withinMs` after the kill.
   */
  crash?: { registerElsewhere(instance: ServiceInstance): Promise<() => Promise<void>>; withinMs: number };
  /** Takes the registry down and brings it back, `wipe` losing all its data. */
  outage?: {
    stop(): Promise<void>;
    start(options: { wipe: boolean }): Promise<void>;
    recoverWithinMs: number;
  };
  /** The registry takes the instance's health from `register(…, { healthy })` (a Consul TTL check), within this many ms. */
  healthFromAppWithinMs?: number;
}

/** The behaviour every discovery adapter must show; run it once per adapter. */
export function discoveryContract(adapter: string, setup: () => Promise<DiscoveryContractSubject>): void {
  describe(`discovery contract: ${adapter}`, () => {
    let subject: DiscoveryContractSubject;
    before(async () => (subject = await setup()));
    after(async () => subject?.close());

    const instance = (service: string, port: number): ServiceInstance => ({
      id: `${service}-${port}-${randomUUID().slice(0, 8)}`,
      name: service,
      address: '127.0.0.1',
      port,
      tags: ['v1'],
      metadata: { zone: 'a' },
    });

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
      if (!subject.crash) return t.skip('an in-process registry dies with its process');
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

    it('the registry going down: errors are typed, watchers keep their list; after a wiped restart registrations come back and watches recover', async (t) => {
      const outage = subject.outage;
      if (!outage) return t.skip('an in-process registry cannot go down');
      const service = `svc-${randomUUID()}`;
      const one = instance(service, 5008);
      await subject.backend.register(one);
      const controller = new AbortController();
      const seen: ServiceInstance[][] = [];
      const watching = (async () => {
        try {
          for await (const list of subject.backend.watch(service, { signal: controller.signal }))
            seen.push(list);
        } catch (error) {
          return error;
        }
      })();
      await until(() => seen.at(-1)?.length === 1, 10_000, 'the watch to see the instance');
      await outage.stop();
      await assert.rejects(subject.backend.instances(service), RegistryUnavailableError);
      assert.equal(seen.at(-1)?.length, 1, 'an outage is not reported as "no instances"');
      await outage.start({ wipe: true });
      await until(
        async () => (await subject.backend.instances(service)).map((i) => i.id).join() === one.id,
        outage.recoverWithinMs,
        'the instance to register itself again',
      );
      const fresh: ServiceInstance[] = [];
      for await (const list of subject.backend.watch(service)) {
        fresh.push(...list);
        break;
      }
      assert.deepEqual(
        fresh.map((i) => i.id),
        [one.id],
        'a new watch sees the instance',
      );
      controller.abort();
      const ended = await Promise.race([watching, sleep(100, 'running')]);
      assert.ok(
        ended === undefined || ended === 'running' || ended instanceof RegistryUnavailableError,
        String(ended),
      );
      await subject.backend.deregister(one);
    });
  });
}

/** Polls `probe` until it is true, failing after `timeoutMs` with what was awaited. */
async function until(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // the registry may be coming back; keep polling until the deadline
    }
    if (performance.now() > deadline)
      throw new Error(`discovery contract: no ${what} within ${timeoutMs} ms`);
    await sleep(20);
  }
}
