// `npm run bench:discovery`: how long a registry change takes to reach a client's routing.
//   join:  the registry accepted the registration → the first call served by the new instance
//   leave: deregistration began → the start of the last call the instance served
// A client in this process calls GetStock in a tight loop (1 in flight) while servers join and
// leave, on the memory registry and on a real etcd (started here, free ports). The servers
// are in this process too: the path measured is registry → watch → resolver → balancer.
// Env: BENCH_TRIALS (default 30).
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  InventoryServiceControllerMethods,
  InventoryServiceService,
  type GetStockResponse,
} from '@nestmesh/contracts/inventory/v1';
import {
  createDiscoveryBackend,
  DiscoveryModule,
  type DiscoveryBackend,
  type RegisterOptions,
  type ServiceInstance,
} from '@nestmesh/discovery';
import {
  MeshClientModule,
  MeshGrpcModule,
  MeshGrpcServer,
  meshClientToken,
  type MeshClient,
} from '@nestmesh/grpc';
import { startEtcd } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

import { percentile } from '../rpc/stats.js';

const trials = Number(process.env.BENCH_TRIALS ?? 30);

/** Records when each instance's registration was accepted and when its deregistration began. */
class TimedBackend {
  readonly registeredAt = new Map<string, number>();
  readonly deregisteringAt = new Map<string, number>();
  constructor(readonly inner: DiscoveryBackend) {}
  async register(instance: ServiceInstance, options?: RegisterOptions) {
    await this.inner.register(instance, options);
    this.registeredAt.set(instance.id, performance.now());
  }
  async deregister(instance: ServiceInstance, options?: { signal?: AbortSignal }) {
    this.deregisteringAt.set(instance.id, performance.now());
    await this.inner.deregister(instance, options);
  }
  instances(name: string, options?: { signal?: AbortSignal }) {
    return this.inner.instances(name, options);
  }
  watch(name: string, options?: { signal?: AbortSignal }) {
    return this.inner.watch(name, options);
  }
}

@Controller()
@InventoryServiceControllerMethods()
class BenchInventory {
  constructor(private readonly server: MeshGrpcServer) {}
  getStock(): GetStockResponse {
    return { stock: undefined, servedBy: this.server.instance?.id ?? '' };
  }
  reserveStock(): never {
    throw new Error('not benchmarked');
  }
  releaseReservation(): never {
    throw new Error('not benchmarked');
  }
  importStock(): never {
    throw new Error('not benchmarked');
  }

  followStock(): never {
    throw new Error('not benchmarked');
  }

  confirmReservations(): never {
    throw new Error('not benchmarked');
  }

  watchStock(): never {
    throw new Error('not benchmarked');
  }
}

async function startServer(backend: TimedBackend): Promise<INestApplicationContext> {
  @Module({
    imports: [
      DiscoveryModule.forRoot({ backend }),
      MeshGrpcModule.forRoot({ name: 'bench-inventory', services: [InventoryServiceService] }),
    ],
    controllers: [BenchInventory],
  })
  class ServerModule {}
  const app = await NestFactory.createApplicationContext(ServerModule, { logger: false });
  return app.init();
}

async function measure(label: string, url: string): Promise<string> {
  const backend = new TimedBackend(await createDiscoveryBackend({ url }));
  @Module({
    imports: [
      DiscoveryModule.forRoot({ backend }),
      MeshClientModule.register({ service: 'bench-inventory', definition: InventoryServiceService }),
    ],
  })
  class ClientModule {}
  const anchor = await startServer(backend); // always one instance, so calls never lack a target
  const clientApp = await NestFactory.createApplicationContext(ClientModule, { logger: false });
  const client: MeshClient<typeof InventoryServiceService> = clientApp.get(
    meshClientToken(InventoryServiceService),
  );
  let failed = 0;
  const firstServed = new Map<string, number>();
  const lastServedStart = new Map<string, number>();
  let running = true;
  const loop = (async () => {
    while (running) {
      const startedAt = performance.now();
      const servedBy = await client.getStock({ sku: 'x' }).then(
        (response) => response.servedBy,
        () => void failed++,
      );
      if (!servedBy) continue;
      if (!firstServed.has(servedBy)) firstServed.set(servedBy, performance.now());
      lastServedStart.set(servedBy, startedAt);
    }
  })();
  const join: number[] = [];
  const leave: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const app = await startServer(backend);
    const id = app.get(MeshGrpcServer).instance!.id;
    while (!firstServed.has(id)) await new Promise((resolve) => setTimeout(resolve, 1));
    join.push(firstServed.get(id)! - backend.registeredAt.get(id)!);
    await app.close();
    leave.push(Math.max(0, lastServedStart.get(id)! - backend.deregisteringAt.get(id)!));
  }
  running = false;
  await loop;
  await anchor.close();
  await clientApp.close();
  await backend.inner.close?.();
  const row = (name: string, values: number[]) =>
    `| ${label} | ${name} | ${values.length} | ${percentile(values, 50).toFixed(1)} | ${percentile(values, 99).toFixed(1)} | ${Math.max(...values).toFixed(1)} |`;
  if (failed > 0) console.log(`(${label}: ${failed} calls failed)`);
  return [row('join → first call', join), row('leave → last call', leave)].join('\n');
}

console.log(`Node ${process.version}; ${trials} trials per row; times in ms\n`);
console.log('| registry | change | trials | p50 | p99 | max |');
console.log('|---|---|---|---|---|---|');
console.log(await measure('memory', `memory://${randomUUID()}`));
const etcd = await startEtcd();
console.log(await measure('etcd 3.4 (local)', `etcd://${etcd.endpoint.replace('http://', '')}`));
await etcd.stop();
process.exit(0);
