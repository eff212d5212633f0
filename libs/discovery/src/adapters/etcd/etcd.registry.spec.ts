import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startEtcd, waitFor, type EtcdServer } from '@nestmesh/testing';

import { RegistryUnavailableError } from '../../discovery.errors.js';
import type { ServiceInstance } from '../../service-instance.js';
import { discoveryContract } from '../../testing/discovery.contract.js';
import { EtcdRegistry } from './etcd.registry.js';

const TTL_SECONDS = 2;

function instance(name: string, port: number): ServiceInstance {
  return {
    id: `${name}-${port}-${randomUUID().slice(0, 8)}`,
    name,
    address: '127.0.0.1',
    port,
    tags: [],
    metadata: {},
  };
}

discoveryContract('etcd (a real etcd process)', async () => {
  const etcd = await startEtcd();
  const backend = new EtcdRegistry({ hosts: [etcd.endpoint], ttlSeconds: TTL_SECONDS });
  return {
    backend,
    close: async () => {
      backend.close();
      await etcd.stop();
    },
  };
});

describe('etcd registry: leases, outages and restarts', () => {
  let etcd: EtcdServer;
  before(async () => (etcd = await startEtcd()));
  after(() => etcd.stop());

  it('an instance whose process is SIGKILLed disappears within its lease TTL', async () => {
    const name = `svc-${randomUUID()}`;
    const registrant = instance(name, 7001);
    const child = spawn(
      process.execPath,
      [
        fileURLToPath(new URL('./registrant.fixture.js', import.meta.url)),
        etcd.endpoint,
        JSON.stringify(registrant),
        String(TTL_SECONDS),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const observer = new EtcdRegistry({ hosts: [etcd.endpoint] });
    try {
      await waitFor(async () => (await observer.instances(name)).length === 1, {
        description: 'the registration',
      });
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
      const killedAt = performance.now();
      await waitFor(async () => (await observer.instances(name)).length === 0, {
        timeoutMs: TTL_SECONDS * 1000 + 3000,
        description: 'the lease to expire',
      });
      assert.ok(performance.now() - killedAt < TTL_SECONDS * 1000 + 3000);
    } finally {
      child.kill('SIGKILL');
      observer.close();
    }
  });

  it('while etcd is down calls fail with RegistryUnavailableError; once it is back with its data wiped, registrations come back by themselves and watches resume', async () => {
    const name = `svc-${randomUUID()}`;
    const registry = new EtcdRegistry({
      hosts: [etcd.endpoint],
      ttlSeconds: TTL_SECONDS,
      requestTimeoutMs: 500,
    });
    const observer = new EtcdRegistry({ hosts: [etcd.endpoint], requestTimeoutMs: 500 });
    const one = instance(name, 7002);
    try {
      await registry.register(one);
      const seen: ServiceInstance[][] = [];
      const watching = (async () => {
        try {
          for await (const list of observer.watch(name)) seen.push(list);
        } catch (error) {
          return error;
        }
      })();
      await waitFor(() => seen.at(-1)?.length === 1, { description: 'the watch to see the instance' });

      await etcd.kill();
      await assert.rejects(observer.instances(name), RegistryUnavailableError);
      assert.equal(seen.at(-1)?.length, 1, 'an outage is not reported as "no instances"');

      await etcd.start({ wipe: true });
      await waitFor(async () => (await observer.instances(name)).map((i) => i.id).join() === one.id, {
        timeoutMs: 15_000,
        description: 're-registration after the lease was lost',
      });
      const ended = await Promise.race([
        watching,
        new Promise((resolve) => setTimeout(resolve, 50, 'running')),
      ]);
      if (ended !== 'running')
        assert.ok(ended instanceof RegistryUnavailableError, `watch ended with ${String(ended)}`);
      const fresh: ServiceInstance[] = [];
      for await (const list of observer.watch(name)) {
        fresh.push(...list);
        break;
      }
      assert.deepEqual(
        fresh.map((i) => i.id),
        [one.id],
        'a new watch sees the re-registered instance',
      );
    } finally {
      await registry.deregister(one).catch(() => undefined);
      registry.close();
      observer.close();
    }
  });
});
