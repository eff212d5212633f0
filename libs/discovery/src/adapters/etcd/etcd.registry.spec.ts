import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { spawnOwned, startEtcd } from '@nestmesh/testing';

import type { ServiceInstance } from '../../service-instance.js';
import { discoveryContract } from '../../testing/discovery.contract.js';
import { EtcdRegistry } from './etcd.registry.js';

const TTL_SECONDS = 2;

/**
 * Registers `instance` from a child process (registrant.fixture.js, which dies with this one);
 * returns its SIGKILL.
 */
async function registerElsewhere(endpoint: string, instance: ServiceInstance): Promise<() => Promise<void>> {
  const child = spawnOwned(
    process.execPath,
    [
      fileURLToPath(new URL('./registrant.fixture.js', import.meta.url)),
      endpoint,
      JSON.stringify(instance),
      String(TTL_SECONDS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('registered') && resolve());
    void exited.then(() => reject(new Error('the registrant exited before registering')));
  });
  return async () => {
    child.kill('SIGKILL');
    await exited;
  };
}

discoveryContract('etcd (a real etcd process)', async () => {
  const etcd = await startEtcd();
  const backend = new EtcdRegistry({
    hosts: [etcd.endpoint],
    ttlSeconds: TTL_SECONDS,
    requestTimeoutMs: 500,
  });
  return {
    backend,
    close: async () => {
      backend.close();
      await etcd.stop();
    },
    crash: {
      registerElsewhere: (instance) => registerElsewhere(etcd.endpoint, instance),
      withinMs: TTL_SECONDS * 1000 + 3000,
    },
    outage: { stop: () => etcd.kill(), start: (options) => etcd.start(options), recoverWithinMs: 15_000 },
  };
});
