// One inventory instance of the chaos benchmark: `node bench/dist/chaos/chaos-server.js`.
// A NestMesh gRPC server (MeshGrpcModule, registered in DISCOVERY_URL as `inventory`) whose
// GetStock carries the faults this process was started with — the fault lives in the server,
// never in the client under test:
//   CHAOS_DELAY_MS    added to every GetStock (a slow instance)
//   CHAOS_FAIL_RATIO  share of GetStock calls answered UNAVAILABLE (a flaky instance)
// CHAOS_NAME is its instance id (and `servedBy`), CHAOS_SERVICE the service it registers.
// Prints `ready <port>`, then `count <arrived> <failed>` every 100 ms: what reached it, which the
// runner keeps even when this process is SIGKILLed.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RpcException } from '@nestjs/microservices';
import {
  InventoryServiceControllerMethods,
  InventoryServiceService,
  type GetStockRequest,
  type GetStockResponse,
} from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule } from '@nestmesh/discovery';
import { MeshGrpcModule, MeshGrpcServer, Status } from '@nestmesh/grpc';
import { setTimeout as sleep } from 'node:timers/promises';

import { RESPONSE } from '../rpc/fixture.js';

const delayMs = Number(process.env.CHAOS_DELAY_MS ?? 0);
const failRatio = Number(process.env.CHAOS_FAIL_RATIO ?? 0);
const name = process.env.CHAOS_NAME ?? 'instance';
let arrived = 0;
let failed = 0;

const notBenchmarked = (): never => {
  throw new RpcException({ code: Status.UNIMPLEMENTED, message: 'not benchmarked' });
};

@Controller()
@InventoryServiceControllerMethods()
class ChaosController {
  async getStock(request: GetStockRequest): Promise<GetStockResponse> {
    arrived++;
    if (failRatio > 0 && Math.random() < failRatio) {
      failed++;
      // The runner tells these from failures the kill caused by this text (instances.ts INJECTED).
      throw new RpcException({ code: Status.UNAVAILABLE, message: `${name}: injected failure` });
    }
    if (delayMs > 0) await sleep(delayMs);
    return { ...RESPONSE, stock: { ...RESPONSE.stock!, sku: request.sku }, servedBy: name };
  }
  reserveStock(): never {
    return notBenchmarked();
  }
  releaseReservation(): never {
    return notBenchmarked();
  }
  confirmReservations(): never {
    return notBenchmarked();
  }
  watchStock(): never {
    return notBenchmarked();
  }
  importStock(): never {
    return notBenchmarked();
  }
  followStock(): never {
    return notBenchmarked();
  }
}

@Module({
  imports: [
    DiscoveryModule.forRoot({ url: process.env.DISCOVERY_URL ?? 'memory://' }),
    MeshGrpcModule.forRoot({
      // One service name per benchmark case: a killed instance of an earlier case, still
      // registered until its lease ends, is never among a later case's instances.
      name: process.env.CHAOS_SERVICE ?? 'inventory',
      services: [InventoryServiceService],
      port: 0,
      instanceId: name,
      deregisterDelayMs: 0,
    }),
  ],
  controllers: [ChaosController],
})
class ChaosModule {}

const app = await NestFactory.createApplicationContext(ChaosModule, { logger: ['error'] });
await app.init();
console.log(`ready ${app.get(MeshGrpcServer).port}`);
setInterval(() => console.log(`count ${arrived} ${failed}`), 100).unref();
process.once('SIGTERM', () => {
  console.log(`count ${arrived} ${failed}`);
  app.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('chaos server: close failed:', error);
      process.exit(1);
    },
  );
});
