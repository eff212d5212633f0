// Faulty Echo peers registered in a fresh memory registry, and a mesh client of them built
// by MeshClientModule: what the retry and hedging tests start, and stop whatever happened.
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { DiscoveryModule, MemoryRegistry } from '@nestmesh/discovery';
import { startContext } from '@nestmesh/testing';

import { MeshClientModule, meshClientToken, type MeshClientOptions } from '../client/mesh-client.module.js';
import type { MeshClient } from '../client/typed-client.js';
import { RpcError } from '../grpc.errors.js';
import { FaultyEchoPeer, type PeerFault } from './faulty-echo-peer.js';

export type Echo = MeshClient<typeof EchoServiceService>;

/** Registers `ports` as instances of `service` in a new memory registry; returns its memory:// URL. */
export async function registryOf(service: string, ports: readonly number[]): Promise<string> {
  const name = randomUUID();
  const registry = MemoryRegistry.named(name);
  for (const port of ports) {
    await registry.register({
      id: `${service}-${port}`,
      name: service,
      address: '127.0.0.1',
      port,
      tags: [],
      metadata: {},
    });
  }
  return `memory://${name}`;
}

/** A Nest context holding only a mesh client of `service` over the registry at `url`. */
export async function startEchoClient(
  url: string,
  service: string,
  client: Partial<MeshClientOptions>,
): Promise<{ app: INestApplicationContext; echo: Echo }> {
  @Module({
    imports: [
      DiscoveryModule.forRoot({ url }),
      MeshClientModule.register({ service, definition: EchoServiceService, ...client }),
    ],
  })
  class ClientApp {}
  const app = await startContext(ClientApp);
  return { app, echo: app.get(meshClientToken(EchoServiceService)) };
}

/** Everything a test started; `stop()` closes it all, in an afterEach. */
export class Started {
  apps: INestApplicationContext[] = [];
  peers: FaultyEchoPeer[] = [];

  /**
   * Peers with `faults` and a mesh client of them. The service is named anew each time:
   * grpc-js keeps its retry throttle per target (`mesh:///<service>`) for the whole process,
   * so one test's failures would otherwise throttle the next test's retries.
   */
  async peersAndClient(faults: PeerFault[], client: Partial<MeshClientOptions> = {}) {
    const peers = await Promise.all(faults.map((fault) => FaultyEchoPeer.start(fault)));
    this.peers.push(...peers);
    const service = `echo-${randomUUID().slice(0, 8)}`;
    const url = await registryOf(
      service,
      peers.map((peer) => peer.port),
    );
    const { app, echo } = await startEchoClient(url, service, client);
    this.apps.push(app);
    return { peers, echo };
  }

  async stop(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.close()));
    for (const peer of this.peers) peer.stop();
    this.apps = [];
    this.peers = [];
  }
}

/** The status a call ended with (OK, or its RpcError's). */
export async function statusOf(call: Promise<unknown>): Promise<Status> {
  return call.then(
    () => Status.OK,
    (error: unknown) => (error instanceof RpcError ? error.status : Status.UNKNOWN),
  );
}

/** Calls received by all of `peers`. */
export function totalCalls(peers: readonly FaultyEchoPeer[]): number {
  return peers.reduce((total, peer) => total + peer.calls, 0);
}
