// One inventory instance as its own process: `node apps/inventory/dist/main.js`.
// Env: INVENTORY_GRPC_PORT (default 0), DISCOVERY_URL (default memory://).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';

import { InventoryModule } from './inventory.module.js';

const app = await NestFactory.createApplicationContext(
  InventoryModule.forRoot({ grpcPort: Number(process.env.INVENTORY_GRPC_PORT ?? 0) }),
  { logger: ['log', 'warn', 'error'] },
);
app.enableShutdownHooks();
await app.init();
