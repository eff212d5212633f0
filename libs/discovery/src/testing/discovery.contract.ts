import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import type { DiscoveryBackend } from '../discovery-backend.js';
import { InvalidServiceInstanceError } from '../discovery.errors.js';
import type { ServiceInstance } from '../service-instance.js';

export interface DiscoveryContractSubject {
  backend: DiscoveryBackend;
  /** Stops whatever the subject started (servers, clients). */
  close(): Promise<void>;
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
  });
}
