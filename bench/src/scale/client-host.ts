// Mesh clients of the inventory instances, several in one process: each a Nest app context
// with its own registry client (DiscoveryModule) and MeshClientModule (round robin, with or
// without subsetting), its channel's resolver watched: the time each list reaches it is
// recorded (what the resolver hands the balancer follows at once).
import 'reflect-metadata';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import {
  createDiscoveryBackend,
  DiscoveryModule,
  type DiscoveryBackend,
  type ServiceInstance,
} from '@nestmesh/discovery';
import { MeshClientModule, meshClientToken, type MeshClient } from '@nestmesh/grpc';
import { setTimeout as sleep } from 'node:timers/promises';

import { SERVICE } from './instance-host.js';
import { cpuSeconds, settledMemory, wallNow, type Host } from './peer.js';

export interface ClientHostOptions {
  url: string;
  /** Global index of this host's first client, and the number of clients in all hosts. */
  first: number;
  count: number;
  total: number;
  subset: boolean;
}

/** What one client's resolver saw: when each instance first appeared and first left, and list sizes. */
class WatchLog {
  readonly appearedAt = new Map<string, number>();
  readonly leftAt = new Map<string, number>();
  /** [wall ms, list size] at each list. */
  readonly sizes: [number, number][] = [];
  private current = new Set<string>();

  record(list: readonly ServiceInstance[]): void {
    const now = wallNow();
    const next = new Set(list.map(({ id }) => id));
    for (const id of next) if (!this.current.has(id)) this.appearedAt.set(id, now);
    for (const id of this.current) if (!next.has(id)) this.leftAt.set(id, now);
    this.current = next;
    this.sizes.push([now, next.size]);
  }

  get size(): number {
    return this.current.size;
  }
}

/** The backend with its watches logged. */
function logged(backend: DiscoveryBackend, log: WatchLog): DiscoveryBackend {
  return {
    register: (instance, options) => backend.register(instance, options),
    deregister: (instance, options) => backend.deregister(instance, options),
    instances: (name, options) => backend.instances(name, options),
    watch: async function* (name, options) {
      for await (const list of backend.watch(name, options)) {
        log.record(list);
        yield list;
      }
    },
    close: () => backend.close?.(),
  };
}

interface BenchClient {
  app: INestApplicationContext;
  client: MeshClient<typeof InventoryServiceService>;
  log: WatchLog;
}

export class ClientHost implements Host {
  private constructor(private readonly clients: BenchClient[]) {}

  static async start(options: ClientHostOptions): Promise<ClientHost> {
    const clients: BenchClient[] = [];
    for (let index = options.first; index < options.first + options.count; index++) {
      clients.push(await startClient(options, index));
    }
    return new ClientHost(clients);
  }

  handle(operation: string, argument: unknown): Promise<unknown> {
    const options = (argument ?? {}) as { id?: string; size?: number; since?: number; calls?: number };
    switch (operation) {
      case 'kick':
        return Promise.all(
          this.clients.map(({ client }) => client.getStock({ sku: 'x' }).catch(() => undefined)),
        );
      case 'appeared':
        return this.waitEach((log) => log.appearedAt.get(options.id!));
      case 'left':
        return this.waitEach((log) => log.leftAt.get(options.id!));
      case 'size':
        // When each client's list last changed, once it changed at or after `since` and holds `size` instances.
        return this.waitEach((log) => {
          const [changedAt, size] = log.sizes.at(-1) ?? [0, 0];
          return size === options.size && changedAt >= options.since! ? changedAt : undefined;
        });
      case 'load':
        return this.load(options.calls ?? 300, 4);
      case 'stats':
        return Promise.resolve({
          ...settledMemory(),
          cpuSeconds: cpuSeconds(),
          clients: this.clients.length,
        });
      default:
        return Promise.reject(new Error(`unknown operation ${operation}`));
    }
  }

  /** Polls every client's log until `probe` gives a time for each (at most 60 s); null where none came. */
  private async waitEach(probe: (log: WatchLog) => number | undefined): Promise<(number | null)[]> {
    const deadline = performance.now() + 60_000;
    while (performance.now() < deadline && this.clients.some(({ log }) => probe(log) === undefined))
      await sleep(5);
    return this.clients.map(({ log }) => probe(log) ?? null);
  }

  /** Every client makes `calls` GetStock calls, `inFlight` at a time; how many failed. */
  private async load(calls: number, inFlight: number): Promise<{ calls: number; failed: number }> {
    let failed = 0;
    await Promise.all(
      this.clients.flatMap(({ client }) => {
        let left = calls;
        return Array.from({ length: inFlight }, async () => {
          while (left-- > 0) await client.getStock({ sku: 'x' }).catch(() => failed++);
        });
      }),
    );
    return { calls: calls * this.clients.length, failed };
  }

  async close(): Promise<void> {
    for (const { app } of this.clients) await app.close();
  }
}

async function startClient(options: ClientHostOptions, index: number): Promise<BenchClient> {
  const log = new WatchLog();
  const backend = logged(await createDiscoveryBackend({ url: options.url }), log);
  @Module({
    imports: [
      DiscoveryModule.forRoot({ backend }),
      MeshClientModule.register({
        service: SERVICE,
        definition: InventoryServiceService,
        balancer: 'round_robin',
        subset: options.subset ? { clientIndex: index, clientCount: options.total } : false,
        // Each client stands for a process of its own: no connection shared with the others here.
        channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
      }),
    ],
  })
  class ClientModule {}
  const app = await NestFactory.createApplicationContext(ClientModule, { logger: false });
  await app.init();
  return { app, client: app.get(meshClientToken(InventoryServiceService)), log };
}
