import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { connectivityState, credentials, status as Status } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import {
  DiscoveryModule,
  MemoryRegistry,
  RegistryUnavailableError,
  WATCH_RETRY_BACKOFF,
  Discovery,
  type Registrar,
  type ServiceInstance,
} from '@nestmesh/discovery';
import { startContext, startEtcd, waitFor } from '@nestmesh/testing';

import { RpcError } from '../grpc.errors.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import { FixtureModule } from '../test-fixtures/fixture-inventory.js';
import { MeshChannels } from './mesh-channels.js';
import { MeshClientModule, meshClientToken } from './mesh-client.module.js';
import {
  attachDiscovery,
  DISCOVERY_CHANNEL_OPTION,
  MESH_SCHEME,
  setupMeshResolver,
} from './mesh.resolver.js';
import { createMeshClient, type MeshClient } from './typed-client.js';

/**
 * A registry whose watch can be made to fail, standing in for a Consul or etcd outage (the
 * real backends' own outage tests come with their adapters). Everything else is the real
 * memory registry.
 */
class FlakyDiscovery implements Discovery, Registrar {
  failing = false;
  watchesStarted = 0;
  constructor(private readonly inner: MemoryRegistry) {}
  register(instance: ServiceInstance) {
    return this.inner.register(instance);
  }
  deregister(instance: ServiceInstance) {
    return this.inner.deregister(instance);
  }
  instances(name: string, options?: { signal?: AbortSignal }) {
    return this.inner.instances(name, options);
  }
  /** Fails as every backend's watch does (see Discovery): RegistryUnavailableError. */
  async *watch(name: string, options?: { signal?: AbortSignal }): AsyncIterable<ServiceInstance[]> {
    this.watchesStarted++;
    const unreachable = () => new RegistryUnavailableError('flaky', `watching ${name}`, 'unreachable');
    if (this.failing) throw unreachable();
    for await (const list of this.inner.watch(name, options)) {
      if (this.failing) throw unreachable();
      yield list;
    }
  }
}

async function statusOfCall(call: Promise<unknown>): Promise<Status> {
  return call.then(
    () => Status.OK,
    (error: unknown) => (error instanceof RpcError ? error.status : Status.UNKNOWN),
  );
}

describe('mesh:/// resolver', { timeout: 120_000 }, () => {
  const apps: INestApplicationContext[] = [];
  after(() => Promise.all(apps.map((app) => app.close())));

  it('fails fast with UNAVAILABLE before any instance exists, then follows the registry', async () => {
    const registryName = randomUUID();
    const registry = MemoryRegistry.named(registryName);
    const flaky = new FlakyDiscovery(registry);
    @Module({
      imports: [
        DiscoveryModule.forRoot({ backend: flaky }),
        MeshClientModule.register({
          service: 'fixture',
          definition: InventoryServiceService,
          timeoutMs: 3000,
        }),
      ],
    })
    class CallerModule {}
    const caller = await startContext(CallerModule);
    apps.push(caller);
    const client: MeshClient<typeof InventoryServiceService> = caller.get(
      meshClientToken(InventoryServiceService),
    );

    assert.equal(
      Status[await statusOfCall(client.getStock({ sku: 'x' }))],
      'UNAVAILABLE',
      'no instances: fail fast, not at the deadline',
    );

    const server = await startContext(FixtureModule.forRoot({ registry: `memory://${registryName}` }));
    apps.push(server);
    const serverId = server.get(MeshGrpcServer).instance!.id;
    assert.equal((await client.getStock({ sku: 'x' }, { timeoutMs: 3000 })).servedBy, serverId);

    // The registry fails: the channel keeps its last list and calls keep working.
    flaky.failing = true;
    const instance = server.get(MeshGrpcServer).instance!;
    await registry.deregister(instance);
    await waitFor(() => flaky.watchesStarted >= 2, { description: 'the resolver to re-watch' });
    assert.equal((await client.getStock({ sku: 'x' })).servedBy, serverId);

    // The registry comes back and reports no instances: still the last good list, never an empty one.
    flaky.failing = false;
    await waitFor(() => flaky.watchesStarted >= 3, {
      description: 'the resolver to watch again',
      timeoutMs: 5000,
    });
    assert.equal((await client.getStock({ sku: 'x' })).servedBy, serverId);

    // And it follows the registry again once instances appear.
    const second = await startContext(FixtureModule.forRoot({ registry: `memory://${registryName}` }));
    apps.push(second);
    const secondId = second.get(MeshGrpcServer).instance!.id;
    await waitFor(async () => (await client.getStock({ sku: 'x' })).servedBy === secondId, {
      description: 'calls to reach the new instance',
    });
  });

  it('a channel that went idle resolves again at its next call, from the last list while the registry is down', async () => {
    const registryName = randomUUID();
    const flaky = new FlakyDiscovery(MemoryRegistry.named(registryName));
    const server = await startContext(FixtureModule.forRoot({ registry: `memory://${registryName}` }));
    apps.push(server);
    const serverId = server.get(MeshGrpcServer).instance!.id;
    setupMeshResolver();
    const attached = attachDiscovery(flaky);
    const idleTimeoutMs = 1000; // grpc-js' minimum
    const channels = new MeshChannels(`${MESH_SCHEME}:///fixture`, credentials.createInsecure(), {
      [DISCOVERY_CHANNEL_OPTION]: attached.optionValue,
      'grpc.client_idle_timeout_ms': idleTimeoutMs,
    });
    try {
      const client = createMeshClient(InventoryServiceService, channels, {
        timeoutMs: 5000,
        streamTimeoutMs: 0,
      });
      // The main channel and a compression sibling, each with a resolver of its own.
      const calls = [{}, { compression: 'gzip' as const }].map(
        (options) => () => client.getStock({ sku: 'x' }, options),
      );
      const idle = (description: string) =>
        waitFor(
          () =>
            [channels.main, channels.for('gzip', 'test')].every(
              (channel) => channel.getChannel().getConnectivityState(false) === connectivityState.IDLE,
            ),
          { description, timeoutMs: 10 * idleTimeoutMs, intervalMs: idleTimeoutMs / 10 },
        );
      for (const call of calls) assert.equal((await call()).servedBy, serverId);
      await idle('both channels to go idle');
      for (const call of calls) assert.equal((await call()).servedBy, serverId, 'resolved again after idle');
      await idle('both channels to go idle again');
      flaky.failing = true;
      for (const call of calls)
        assert.equal((await call()).servedBy, serverId, 'the last list, registry down');
    } finally {
      channels.close();
      attached.release();
    }
  });

  it('on a real etcd: calls keep reaching the last known instance while etcd is down, and follow etcd again once it is back', async () => {
    const ttlSeconds = 2;
    const requestTimeoutMs = 2_000;
    const etcd = await startEtcd();
    try {
      const registry = `${etcd.endpoint.replace('http', 'etcd')}?ttl=${ttlSeconds}&timeout=${requestTimeoutMs}`;
      @Module({
        imports: [
          DiscoveryModule.forRoot({ url: registry }),
          MeshClientModule.register({ service: 'fixture', definition: InventoryServiceService }),
        ],
      })
      class CallerModule {}
      const first = await startContext(FixtureModule.forRoot({ registry }));
      apps.push(first);
      const caller = await startContext(CallerModule);
      apps.push(caller);
      const client: MeshClient<typeof InventoryServiceService> = caller.get(
        meshClientToken(InventoryServiceService),
      );
      const firstId = first.get(MeshGrpcServer).instance!.id;
      await waitFor(async () => (await client.getStock({ sku: 'x' })).servedBy === firstId, {
        description: 'calls through etcd',
      });

      await etcd.kill();
      // The resolver's watch has failed and is being retried: calls keep going to the last
      // list over several retry periods (an empty list would fail them with UNAVAILABLE).
      const outageEnds = performance.now() + 2 * WATCH_RETRY_BACKOFF.maxMs;
      await assert.rejects(caller.get<Discovery>(Discovery).instances('fixture'), RegistryUnavailableError);
      while (performance.now() < outageEnds) {
        assert.equal((await client.getStock({ sku: 'x' })).servedBy, firstId);
      }

      await etcd.start({ wipe: true });
      const second = await startContext(FixtureModule.forRoot({ registry }));
      apps.push(second);
      const secondId = second.get(MeshGrpcServer).instance!.id;
      await waitFor(async () => (await client.getStock({ sku: 'x' })).servedBy === secondId, {
        description: 'calls to reach the instance registered after the outage',
        // etcd3's circuit breaker (5 s) and the resolver's backoff, then a round-robin pick.
        timeoutMs: 5_000 + WATCH_RETRY_BACKOFF.maxMs + 2 * requestTimeoutMs + ttlSeconds * 1000,
      });
    } finally {
      await Promise.all(apps.splice(0).map((app) => app.close()));
      await etcd.stop();
    }
  });
});
