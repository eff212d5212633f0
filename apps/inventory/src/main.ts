// One inventory instance as its own process: `node apps/inventory/dist/main.js`.
// Env: INVENTORY_GRPC_PORT (default 0), DISCOVERY_URL (default memory://), HOST, REDIS_URL,
// ELECTION_URL (the restock job's leader election; default REDIS_URL, then memory://),
// RESTOCK_INTERVAL_MS (default 10 000; 0 turns the leader-only restock job off).
// Prints `inventory ready grpc=<host:port> id=<instance id>` once serving and registered.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MeshGrpcServer } from '@nestmesh/grpc';

import { InventoryModule } from './inventory.module.js';

const restockEveryMs = Number(process.env.RESTOCK_INTERVAL_MS ?? 10_000);
const app = await NestFactory.createApplicationContext(
  InventoryModule.forRoot({
    grpcPort: Number(process.env.INVENTORY_GRPC_PORT ?? 0),
    restock: restockEveryMs > 0 ? { everyMs: restockEveryMs } : undefined,
  }),
  { logger: ['log', 'warn', 'error'] },
);
app.enableShutdownHooks();
await app.init();
const server = app.get(MeshGrpcServer);
console.log(`inventory ready grpc=${server.instance?.address}:${server.port} id=${server.instance?.id}`);
