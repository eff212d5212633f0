import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { DiscoveryModule, MemoryRegistry, type ServiceInstance } from '@nestmesh/discovery';
import { startContext, waitFor } from '@nestmesh/testing';

import { CountingRelay, EchoPeer } from '../../test-fixtures/echo-peer.js';
import { MeshClientModule, meshClientToken } from '../mesh-client.module.js';
import type { MeshClient } from '../typed-client.js';
import { clientOffset, subsetOf } from './subset.js';

/** One instance: a raw grpc-js Echo server behind a relay that counts the connections to it. */
interface Instance {
  registered: ServiceInstance;
  peer: EchoPeer;
  relay: CountingRelay;
}

const SERVICE = 'echo';
const SIZE = 3;
const CLIENTS = 4;

async function startInstance(registry: MemoryRegistry): Promise<Instance> {
  const peer = await EchoPeer.start();
  const relay = await CountingRelay.start(peer.port);
  const registered: ServiceInstance = {
    id: `${SERVICE}-${randomUUID()}`,
    name: SERVICE,
    address: '127.0.0.1',
    port: relay.port,
    tags: [],
    metadata: {},
  };
  await registry.register(registered);
  return { registered, peer, relay };
}

async function startClient(registryName: string, clientIndex: number): Promise<INestApplicationContext> {
  @Module({
    imports: [
      DiscoveryModule.forRoot({ url: `memory://${registryName}` }),
      MeshClientModule.register({
        service: SERVICE,
        definition: EchoServiceService,
        balancer: 'round_robin',
        subset: { size: SIZE, threshold: SIZE, clientIndex, clientCount: CLIENTS },
        // One process per client in production: no connection shared between these test clients.
        channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
      }),
    ],
  })
  class ClientModule {}
  return startContext(ClientModule);
}

/** The subset client `index` must connect to, by instance. */
function expectedSubsets(instances: readonly Instance[]): Instance[][] {
  const byId = new Map(instances.map((each) => [each.registered.id, each]));
  const ids = instances.map(({ registered }) => ({ id: registered.id }));
  return Array.from({ length: CLIENTS }, (_, index) =>
    subsetOf(ids, SIZE, clientOffset(index, CLIENTS)).map(({ id }) => byId.get(id)!),
  );
}

/** Every instance holds exactly one connection per client whose subset it is in, no other. */
function connectionsMatch(instances: readonly Instance[]): boolean {
  const subsets = expectedSubsets(instances);
  return instances.every(
    (instance) =>
      instance.relay.openConnections === subsets.filter((subset) => subset.includes(instance)).length,
  );
}

describe('subsetting over real gRPC connections', { timeout: 60_000 }, () => {
  const registryName = randomUUID();
  const registry = MemoryRegistry.named(registryName);
  const instances: Instance[] = [];
  const apps: INestApplicationContext[] = [];
  after(async () => {
    for (const app of apps) await app.close();
    for (const { peer, relay } of instances) {
      relay.stop();
      peer.stop();
    }
    registry.close();
  });

  it('connects each client to its subset only, balances within it, and follows instances that come and go', async () => {
    for (let index = 0; index < 10; index++) instances.push(await startInstance(registry));
    for (let index = 0; index < CLIENTS; index++) apps.push(await startClient(registryName, index));
    const clients = apps.map((app) =>
      app.get<MeshClient<typeof EchoServiceService>>(meshClientToken(EchoServiceService)),
    );

    const callsPerMember = 4;
    for (const [index, client] of clients.entries()) {
      for (let call = 0; call < SIZE * callsPerMember; call++)
        await client.echo({ message: `client-${index}`, delayMs: 0 });
    }
    await waitFor(() => connectionsMatch(instances), {
      description: 'one connection per client in the subset',
    });
    for (const [index, subset] of expectedSubsets(instances).entries()) {
      for (const instance of instances) {
        const served = instance.peer.arrivals.filter(({ message }) => message === `client-${index}`).length;
        // Round robin within the subset: every member serves, nothing outside it does.
        if (subset.includes(instance)) assert.ok(served >= 1 && served <= 2 * callsPerMember, `${served}`);
        else assert.equal(served, 0);
      }
    }

    // Instances come and go: the connections follow each client's new subset.
    const removed = instances.splice(instances.indexOf(expectedSubsets(instances)[0][0]), 1)[0];
    await registry.deregister(removed.registered);
    removed.relay.stop();
    removed.peer.stop();
    for (let index = 0; index < 3; index++) instances.push(await startInstance(registry));
    // A connection that left the subset closes at grpc-js' next subchannel-pool sweep (every
    // 10 s): the bound is that, with slack for a loaded machine.
    await waitFor(() => connectionsMatch(instances), {
      timeoutMs: 30_000,
      description: 'connections follow the new subsets',
    });
    const total = instances.reduce((sum, { relay }) => sum + relay.openConnections, 0);
    assert.equal(total, CLIENTS * SIZE);
  });
});
