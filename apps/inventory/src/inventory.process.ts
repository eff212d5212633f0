// The inventory process once telemetry is started (main.ts imports this after startTelemetry).
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { redactUrl } from '@nestmesh/common';
import { consoleLogger, MeshGrpcServer, serverBindingFromEnv } from '@nestmesh/grpc';
import type { TelemetryHandle } from '@nestmesh/telemetry';
import { closeOnSignals } from '@nestmesh/telemetry/sdk';

import { InventoryModule } from './inventory.module.js';

/** A whole number of ms from env `name` (default `fallback`); `minimum` 0 means 0 turns a job off. */
function envMs(name: string, fallback: number, minimum: 0 | 1): number {
  const raw = process.env[name] ?? String(fallback);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < minimum) {
    const hint = minimum === 0 ? ' (0: off)' : ' ≥ 1';
    throw new Error(`inventory: ${name} must be a whole number of ms${hint}, got "${raw}"`);
  }
  return value;
}

/**
 * Starts the gRPC server and registers it; on SIGTERM/SIGINT drains and deregisters, then
 * flushes telemetry. Metrics are on METRICS_PORT (startTelemetry serves them) when it is set.
 */
export async function startInventoryProcess(telemetry: TelemetryHandle): Promise<void> {
  const restockEveryMs = envMs('RESTOCK_INTERVAL_MS', 10_000, 0);
  const reconcileEveryMs = envMs('RECONCILE_INTERVAL_MS', 10_000, 0);
  const reservationTtlMs = envMs('RESERVATION_TTL_MS', 120_000, 1);
  const leaderJobs = restockEveryMs > 0 || reconcileEveryMs > 0;
  const binding = serverBindingFromEnv();
  // The same order of defaults as LeaderElectionModule's, resolved here so that it can be logged.
  const electionUrl = process.env.ELECTION_URL ?? process.env.REDIS_URL ?? 'memory://';
  const discoveryUrl = process.env.DISCOVERY_URL ?? 'memory://';
  const app = await NestFactory.createApplicationContext(
    InventoryModule.forRoot({
      grpcPort: Number(process.env.INVENTORY_GRPC_PORT ?? 0),
      binding,
      restock: restockEveryMs > 0 ? { everyMs: restockEveryMs } : undefined,
      reconcile: reconcileEveryMs > 0 ? { everyMs: reconcileEveryMs } : undefined,
      reservations: { ttlMs: reservationTtlMs },
      election: { url: electionUrl },
      instanceId: telemetry.instanceId,
    }),
    { logger: consoleLogger(['log', 'warn', 'error']) },
  );
  closeOnSignals(telemetry, () => app.close());
  if (leaderJobs && electionUrl.startsWith('memory:') && !discoveryUrl.startsWith('memory:')) {
    new Logger('Inventory').warn(
      `the restock and reconcile jobs' leader election is in this process (memory://) while instances find each other on ` +
        `${redactUrl(discoveryUrl)}: every inventory process will lead and restock. Set ELECTION_URL ` +
        `(npm run start:cluster prints it) or REDIS_URL.`,
    );
  }
  await app.init();
  const server = app.get(MeshGrpcServer);
  const election = leaderJobs ? redactUrl(electionUrl) : 'off';
  console.log(
    `inventory ready grpc=${server.instance?.address}:${server.port} id=${server.instance?.id} ` +
      `election=${election} metrics=${telemetry.metricsUrl ?? 'off'}`,
  );
}
