// The inventory process once telemetry is started (main.ts imports this after startTelemetry).
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { redactUrl } from '@nestmesh/common';
import { consoleLogger, MeshGrpcServer, serverBindingFromEnv } from '@nestmesh/grpc';
import type { TelemetryHandle } from '@nestmesh/telemetry';
import { closeOnSignals } from '@nestmesh/telemetry/sdk';

import { InventoryModule } from './inventory.module.js';

function restockIntervalMs(): number {
  const raw = process.env.RESTOCK_INTERVAL_MS ?? '10000';
  const everyMs = Number(raw);
  if (!Number.isSafeInteger(everyMs) || everyMs < 0) {
    throw new Error(`inventory: RESTOCK_INTERVAL_MS must be a whole number of ms (0: off), got "${raw}"`);
  }
  return everyMs;
}

/**
 * Starts the gRPC server and registers it; on SIGTERM/SIGINT drains and deregisters, then
 * flushes telemetry. Metrics are on METRICS_PORT (startTelemetry serves them) when it is set.
 */
export async function startInventoryProcess(telemetry: TelemetryHandle): Promise<void> {
  const restockEveryMs = restockIntervalMs();
  const binding = serverBindingFromEnv();
  // The same order of defaults as LeaderElectionModule's, resolved here so that it can be logged.
  const electionUrl = process.env.ELECTION_URL ?? process.env.REDIS_URL ?? 'memory://';
  const discoveryUrl = process.env.DISCOVERY_URL ?? 'memory://';
  const app = await NestFactory.createApplicationContext(
    InventoryModule.forRoot({
      grpcPort: Number(process.env.INVENTORY_GRPC_PORT ?? 0),
      binding,
      restock: restockEveryMs > 0 ? { everyMs: restockEveryMs } : undefined,
      election: { url: electionUrl },
      instanceId: telemetry.instanceId,
    }),
    { logger: consoleLogger(['log', 'warn', 'error']) },
  );
  closeOnSignals(telemetry, () => app.close());
  if (restockEveryMs > 0 && electionUrl.startsWith('memory:') && !discoveryUrl.startsWith('memory:')) {
    new Logger('Inventory').warn(
      `the restock job's leader election is in this process (memory://) while instances find each other on ` +
        `${redactUrl(discoveryUrl)}: every inventory process will lead and restock. Set ELECTION_URL ` +
        `(npm run start:cluster prints it) or REDIS_URL.`,
    );
  }
  await app.init();
  const server = app.get(MeshGrpcServer);
  const election = restockEveryMs > 0 ? redactUrl(electionUrl) : 'off';
  console.log(
    `inventory ready grpc=${server.instance?.address}:${server.port} id=${server.instance?.id} ` +
      `election=${election} metrics=${telemetry.metricsUrl ?? 'off'}`,
  );
}
