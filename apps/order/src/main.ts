// The order service as its own process: `node apps/order/dist/main.js`.
// Env: PORT (HTTP, default 3000), ORDER_GRPC_PORT (default 0), DISCOVERY_URL (default memory://).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';

import { configureHttp } from './http/configure-http.js';
import { OrderModule } from './order.module.js';

const app = configureHttp(
  await NestFactory.create(OrderModule.forRoot({ grpcPort: Number(process.env.ORDER_GRPC_PORT ?? 0) }), {
    logger: ['log', 'warn', 'error'],
  }),
);
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');
