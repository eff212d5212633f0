// The order service as its own process: `node apps/order/dist/main.js`.
// Env: PORT (HTTP, default 3000; 0 picks one), ORDER_GRPC_PORT (default 0), DISCOVERY_URL, HOST,
// HTTP_BODY_LIMIT_BYTES (see docs/configuration.md).
// Prints `order ready http=<url> grpc=<host:port>` once listening.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { consoleLogger, MeshGrpcServer } from '@nestmesh/grpc';
import type { AddressInfo, Server } from 'node:net';

import { configureHttp } from './http/configure-http.js';
import { OrderModule } from './order.module.js';

const host = process.env.HOST ?? '127.0.0.1';
const app = configureHttp(
  await NestFactory.create(OrderModule.forRoot({ grpcPort: Number(process.env.ORDER_GRPC_PORT ?? 0) }), {
    logger: consoleLogger(['log', 'warn', 'error']),
  }),
);
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 3000), host);
const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
console.log(`order ready http=http://${host}:${port} grpc=${host}:${app.get(MeshGrpcServer).port}`);
