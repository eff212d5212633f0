// One benchmark server process: `node bench/dist/rpc/server.js <raw|nest|nestmesh> [port]`.
// Prints `ready <port>`; on SIGTERM prints `handled <n>` (its own count of GetStock calls) and exits.
// BENCH_TELEMETRY=sdk starts the OpenTelemetry SDK first (startTelemetry, as an app's main.ts
// does), configured by the standard OTEL_* variables; unset, no SDK is registered at all.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GrpcMethod, Transport } from '@nestjs/microservices';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  InventoryServiceControllerMethods,
  InventoryServiceService,
  type GetStockResponse,
} from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule } from '@nestmesh/discovery';
import { MeshGrpcModule, MeshGrpcServer } from '@nestmesh/grpc';
import { startTelemetry } from '@nestmesh/telemetry/sdk';
import { freePort } from '@nestmesh/testing';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { PROTO_LOADER_RESPONSE, RESPONSE } from './fixture.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const [kind = 'raw', portArgument = '0'] = process.argv.slice(2);
let handled = 0;

interface BenchServer {
  port: number;
  close: () => Promise<void>;
}

async function raw(): Promise<BenchServer> {
  const server = new Server();
  const unimplemented = () => {
    throw new Error('not benchmarked');
  };
  server.addService(InventoryServiceService, {
    getStock: (_call: unknown, callback: (error: null, response: GetStockResponse) => void) => {
      handled++;
      callback(null, RESPONSE);
    },
    reserveStock: unimplemented,
    releaseReservation: unimplemented,
    watchStock: unimplemented,
    importStock: unimplemented,
    followStock: unimplemented,
    confirmReservations: unimplemented,
  });
  const port = await new Promise<number>((done, fail) =>
    server.bindAsync(`127.0.0.1:${portArgument}`, ServerCredentials.createInsecure(), (error, bound) =>
      error ? fail(error) : done(bound),
    ),
  );
  return {
    port,
    close: () => {
      server.forceShutdown();
      return Promise.resolve();
    },
  };
}

@Controller()
class StockNestController {
  @GrpcMethod('InventoryService', 'GetStock')
  getStock() {
    handled++;
    return PROTO_LOADER_RESPONSE;
  }
}

@Module({ controllers: [StockNestController] })
class StockNestModule {}

async function nest(): Promise<BenchServer> {
  const port = Number(portArgument) || (await freePort());
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(StockNestModule, {
    logger: false,
    transport: Transport.GRPC,
    options: {
      package: 'inventory.v1',
      protoPath: join(root, 'proto/nestmesh/inventory/v1/inventory.proto'),
      url: `127.0.0.1:${port}`,
    },
  });
  await app.listen();
  return { port, close: () => app.close() };
}

@Controller()
@InventoryServiceControllerMethods()
class MeshController {
  getStock(): GetStockResponse {
    handled++;
    return RESPONSE;
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

async function nestmesh(): Promise<BenchServer> {
  @Module({
    imports: [
      DiscoveryModule.forRoot({ url: 'memory://' }),
      MeshGrpcModule.forRoot({
        name: 'inventory',
        services: [InventoryServiceService],
        port: Number(portArgument),
        deregisterDelayMs: 0,
      }),
    ],
    controllers: [MeshController],
  })
  class MeshBenchModule {}
  const app: INestApplicationContext = await NestFactory.createApplicationContext(MeshBenchModule, {
    logger: false,
  });
  await app.init();
  return { port: app.get(MeshGrpcServer).port, close: () => app.close() };
}

if (process.env.BENCH_TELEMETRY === 'sdk') {
  const telemetry = await startTelemetry({ serviceName: 'bench' });
  // Where the spans go, for the report: the in-process buffer unless an OTLP endpoint is set.
  console.error(`bench server ${kind}: telemetry ${telemetry.traceDestination}`);
}

const servers = { raw, nest, nestmesh };
const start = servers[kind as keyof typeof servers];
if (!start) throw new Error(`bench server: unknown kind "${kind}" (raw | nest | nestmesh)`);
const { port, close } = await start();
console.log(`ready ${port}`);
process.once('SIGTERM', () => {
  console.log(`handled ${handled}`);
  // A server that cannot close says why and exits non-zero, which the bench reports.
  close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('bench server: close failed:', error);
      process.exit(1);
    },
  );
});
