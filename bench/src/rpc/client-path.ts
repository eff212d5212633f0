// Client-path benchmark process: `node bench/dist/rpc/client-path.js <port1> <port2>`.
// Drives unary GetStock calls from this one process against two server processes with three
// clients, alternating them round by round: the NestMesh typed client (mesh:/// through the
// discovery resolver), a raw grpc-js client (static ipv4: target), and Nest's ClientGrpc.
// All three round-robin over the same two servers and, as Nest's client does by default, set no
// deadline; then the NestMesh client with its default 5 s deadline and raw grpc-js with the same
// deadline, to show what a deadline itself costs in grpc-js.
// Prints one JSON line of samples.
import 'reflect-metadata';
import { Inject, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, Transport, type ClientGrpc } from '@nestjs/microservices';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule, MemoryRegistry } from '@nestmesh/discovery';
import {
  DEFAULT_CLIENT_TIMEOUT_MS,
  MeshClientModule,
  ROUND_ROBIN_SERVICE_CONFIG,
  meshClientToken,
  type MeshClient,
} from '@nestmesh/grpc';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, type Observable } from 'rxjs';

import { BENCH_SKU } from './fixture.js';
import { percentile, type Sample } from './stats.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ports = process.argv.slice(2, 4).map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const callsPerRound = Number(process.env.BENCH_CLIENT_CALLS ?? 10_000);
const staticTarget = `ipv4:${ports.map((port) => `127.0.0.1:${port}`).join(',')}`;
// Round robin for all three clients (the mesh client's default is p2c): the same policy, compared.
const serviceConfig = JSON.stringify(ROUND_ROBIN_SERVICE_CONFIG);

type Call = () => Promise<unknown>;

/** The NestMesh client, without a deadline (like the baselines) or with its default one. */
async function meshClients(): Promise<{ plain: Call; withDeadline: Call }> {
  const registry = MemoryRegistry.named('bench');
  for (const port of ports) {
    await registry.register({
      id: `inventory-${port}`,
      name: 'inventory',
      address: '127.0.0.1',
      port,
      tags: [],
      metadata: {},
    });
  }
  @Module({
    imports: [
      DiscoveryModule.forRoot({ url: 'memory://bench' }),
      MeshClientModule.register({
        service: 'inventory',
        definition: InventoryServiceService,
        timeoutMs: 0,
        balancer: 'round_robin',
      }),
    ],
  })
  class MeshClientBench {}
  const app = await NestFactory.createApplicationContext(MeshClientBench, { logger: false });
  const client: MeshClient<typeof InventoryServiceService> = app.get(
    meshClientToken(InventoryServiceService),
  );
  return {
    plain: () => client.getStock({ sku: BENCH_SKU }),
    withDeadline: () => client.getStock({ sku: BENCH_SKU }, { timeoutMs: DEFAULT_CLIENT_TIMEOUT_MS }),
  };
}

function rawClient(timeoutMs = 0): Call {
  const client = new Client(staticTarget, credentials.createInsecure(), {
    'grpc.service_config': serviceConfig,
  });
  const method = InventoryServiceService.getStock;
  return () =>
    new Promise((done, fail) =>
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { sku: BENCH_SKU },
        new Metadata(),
        timeoutMs ? { deadline: Date.now() + timeoutMs } : {},
        (error, response) => (error ? fail(error) : done(response)),
      ),
    );
}

interface NestInventory {
  getStock(request: { sku: string }): Observable<unknown>;
}

async function nestClient(): Promise<Call> {
  const TOKEN = 'INVENTORY';
  class Holder {
    constructor(@Inject(TOKEN) readonly client: ClientGrpc) {}
  }
  @Module({
    imports: [
      ClientsModule.register([
        {
          name: TOKEN,
          transport: Transport.GRPC,
          options: {
            package: 'inventory.v1',
            protoPath: join(root, 'proto/nestmesh/inventory/v1/inventory.proto'),
            url: staticTarget,
            channelOptions: { 'grpc.service_config': serviceConfig },
          },
        },
      ]),
    ],
    providers: [Holder],
  })
  class NestClientBench {}
  const app = await NestFactory.createApplicationContext(NestClientBench, { logger: false });
  const service = app.get(Holder).client.getService<NestInventory>('InventoryService');
  return () => lastValueFrom(service.getStock({ sku: BENCH_SKU }));
}

/** `calls` calls with `concurrency` in flight on one client: throughput and latency. */
async function drive(call: Call, calls: number, concurrency: number): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        const begin = performance.now();
        await call();
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    callsPerSecond: calls / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/**
 * One call at a time, the clients taking turns call by call, so that a noisy moment of this
 * shared machine hits every client alike. Calls/s is 1 / mean latency.
 */
async function interleaved(
  clients: Record<string, Call>,
  callsEach: number,
): Promise<Record<string, Sample>> {
  const latencies: Record<string, number[]> = Object.fromEntries(
    Object.keys(clients).map((name) => [name, []]),
  );
  const names = Object.keys(clients);
  for (let index = 0; index < callsEach; index++) {
    for (let turn = 0; turn < names.length; turn++) {
      const name = names[(index + turn) % names.length];
      const begin = performance.now();
      await clients[name]();
      latencies[name].push(performance.now() - begin);
    }
  }
  return Object.fromEntries(
    Object.entries(latencies).map(([name, values]) => [
      name,
      {
        callsPerSecond: 1000 / (values.reduce((sum, value) => sum + value, 0) / values.length),
        p50Ms: percentile(values, 50),
        p99Ms: percentile(values, 99),
      },
    ]),
  );
}

const mesh = await meshClients();
const clients: Record<string, Call> = {
  nestmesh: mesh.plain,
  raw: rawClient(),
  nest: await nestClient(),
  'nestmesh-deadline': mesh.withDeadline,
  'raw-deadline': rawClient(DEFAULT_CLIENT_TIMEOUT_MS),
};
const samples: Record<string, Sample[]> = {};
for (const call of Object.values(clients)) await drive(call, 3000, 16); // warm-up: connections, JIT
for (let round = 0; round < rounds; round++) {
  for (const [name, sample] of Object.entries(await interleaved(clients, Math.round(callsPerRound / 10)))) {
    (samples[`${name}@1`] ??= []).push(sample);
  }
  // 64 in flight: short batches, the clients in turn, five times a round: slow drifts of the
  // machine's speed then touch every client alike.
  const order = Object.keys(clients);
  for (let batch = 0; batch < 5; batch++) {
    order.push(order.shift()!);
    for (const name of order) {
      (samples[`${name}@64`] ??= []).push(await drive(clients[name], Math.round(callsPerRound / 5), 64));
    }
  }
}
console.log(JSON.stringify(samples));
process.exit(0);
