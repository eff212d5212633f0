// FaultyEchoPeers registered in a fresh memory registry and a mesh client of them, in a Nest
// app: the setup of the client-side resilience specs (circuit breaker).
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { DiscoveryModule, MemoryRegistry } from '@nestmesh/discovery';
import { startContext } from '@nestmesh/testing';

import { MeshClientModule, meshClientToken, type MeshClientOptions } from '../client/mesh-client.module.js';
import type { MeshClient } from '../client/typed-client.js';
import { FaultyEchoPeer, type PeerFault } from './faulty-echo-peer.js';

export type Echo = MeshClient<typeof EchoServiceService>;

export interface FaultyEchoMesh {
  echo: Echo;
  peers: FaultyEchoPeer[];
  /** Calls the peers received, all together. */
  serverCalls(): number;
  /** Closes the client app, then stops the peers. */
  close(): Promise<void>;
}

/** One peer per fault, registered as `echo`, and a client app dialling `mesh:///echo` with `client`. */
export async function startFaultyEchoMesh(
  faults: PeerFault[],
  client: Partial<MeshClientOptions> = {},
): Promise<FaultyEchoMesh> {
  const name = randomUUID();
  const registry = MemoryRegistry.named(name);
  const peers = await Promise.all(faults.map((fault) => FaultyEchoPeer.start(fault)));
  let app: INestApplicationContext | undefined;
  const close = async () => {
    await app?.close();
    for (const peer of peers) peer.stop();
  };
  try {
    for (const peer of peers) {
      const instance = { id: `echo-${peer.port}`, name: 'echo', address: '127.0.0.1', port: peer.port };
      await registry.register({ ...instance, tags: [], metadata: {} });
    }
    @Module({
      imports: [
        DiscoveryModule.forRoot({ url: `memory://${name}` }),
        MeshClientModule.register({ service: 'echo', definition: EchoServiceService, ...client }),
      ],
    })
    class ClientApp {}
    app = await startContext(ClientApp);
    const echo = app.get<Echo>(meshClientToken(EchoServiceService));
    const serverCalls = () => peers.reduce((sum, peer) => sum + peer.calls, 0);
    return { echo, peers, serverCalls, close };
  } catch (error) {
    await close();
    throw error;
  }
}
