// One inventory instance as its own process: `node apps/inventory/dist/main.js`.
// Env: INVENTORY_GRPC_PORT (default 0), DISCOVERY_URL (default memory://), HOST.
// Prints `inventory ready grpc=<host:port> id=<instance id>` once serving and registered.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { MeshGrpcServer } from '@nestmesh/grpc';

import { InventoryModule } from './inventory.module.js';

const app = await NestFactory.createApplicationContext(
  InventoryModule.forRoot({ grpcPort: Number(process.env.INVENTORY_GRPC_PORT ?? 0) }),
  { logger: ['log', 'warn', 'error'] },
);
app.enableShutdownHooks();
await app.init();
const server = app.get(MeshGrpcServer);
console.log(`inventory ready grpc=${server.instance?.address}:${server.port} id=${server.instance?.id}`);
