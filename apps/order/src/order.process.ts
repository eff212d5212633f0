// The order process once telemetry is started (main.ts imports this after startTelemetry).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { consoleLogger, MeshGrpcServer, serverBindingFromEnv } from '@nestmesh/grpc';
import type { TelemetryHandle } from '@nestmesh/telemetry';
import { closeOnSignals } from '@nestmesh/telemetry/sdk';
import type { AddressInfo, Server } from 'node:net';

import { configureHttp } from './http/configure-http.js';
import { OrderModule } from './order.module.js';

/** Starts the HTTP and gRPC servers; on SIGTERM/SIGINT closes them, then flushes telemetry. */
export async function startOrderProcess(telemetry: TelemetryHandle): Promise<void> {
  const binding = serverBindingFromEnv();
  const httpPort = Number(process.env.PORT ?? 3000);
  const app = configureHttp(
    await NestFactory.create(
      OrderModule.forRoot({
        grpcPort: Number(process.env.ORDER_GRPC_PORT ?? 0),
        binding,
        httpPort,
        instanceId: telemetry.instanceId,
      }),
      { logger: consoleLogger(['log', 'warn', 'error']) },
    ),
  );
  closeOnSignals(telemetry, () => app.close());
  await app.listen(httpPort, binding.host);
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const grpc = app.get(MeshGrpcServer);
  const advertised = grpc.instance?.address ?? binding.host;
  console.log(`order ready http=http://${advertised}:${port} grpc=${advertised}:${grpc.port}`);
}
