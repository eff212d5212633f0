// One inventory instance of the chaos benchmark: `node bench/dist/chaos/chaos-server.js`.
// The inventory app itself (InventoryModule: its controller, in-process stock store, NestMesh
// server registered in DISCOVERY_URL) plus one global Nest interceptor that carries the faults
// this process was started with — the fault lives in the server, never in the client under test:
//   CHAOS_DELAY_MS    added to every GetStock (a slow instance)
//   CHAOS_FAIL_RATIO  share of GetStock calls answered UNAVAILABLE (a flaky instance)
// CHAOS_NAME is its instance id (which GetStock answers as `servedBy`). Prints `ready <port>`,
// then `count <arrived> <failed>` every 100 ms: what reached it, which the runner keeps even
// when this process is SIGKILLed.
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { RpcException } from '@nestjs/microservices';
import { MeshGrpcServer, Status } from '@nestmesh/grpc';
import { InventoryModule } from '@nestmesh/inventory';
import type { Observable } from 'rxjs';
import { setTimeout as sleep } from 'node:timers/promises';

const delayMs = Number(process.env.CHAOS_DELAY_MS ?? 0);
const failRatio = Number(process.env.CHAOS_FAIL_RATIO ?? 0);
const name = process.env.CHAOS_NAME ?? 'instance';
let arrived = 0;
let failed = 0;

/** Test-only: GetStock slowed or failed before the inventory's own handler runs. */
@Injectable()
class ChaosFaults implements NestInterceptor {
  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getHandler().name !== 'getStock') return next.handle();
    arrived++;
    if (failRatio > 0 && Math.random() < failRatio) {
      failed++;
      // The runner tells these from failures the kill caused by this text (instances.ts INJECTED).
      throw new RpcException({ code: Status.UNAVAILABLE, message: `${name}: injected failure` });
    }
    if (delayMs > 0) await sleep(delayMs);
    return next.handle();
  }
}

@Module({
  imports: [
    InventoryModule.forRoot({
      discoveryUrl: process.env.DISCOVERY_URL,
      instanceId: name,
      deregisterDelayMs: 0,
    }),
  ],
  providers: [{ provide: APP_INTERCEPTOR, useClass: ChaosFaults }],
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
