// The embedded demo once telemetry is started (main.ts imports this after startTelemetry).
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { LeaderElectionService } from '@nestmesh/coordination';
import { consoleLogger, MeshGrpcServer } from '@nestmesh/grpc';
import { InventoryModule } from '@nestmesh/inventory';
import { configureHttp, OrderModule } from '@nestmesh/order';
import { currentTelemetry } from '@nestmesh/telemetry';
import type { AddressInfo, Server } from 'node:net';

const telemetry = currentTelemetry();
const levels: LogLevel[] = process.env.NESTMESH_VERBOSE ? ['log', 'warn', 'error'] : ['warn', 'error'];
const host = process.env.HOST ?? '127.0.0.1';

function restockIntervalMs(): number {
  const raw = process.env.RESTOCK_INTERVAL_MS ?? '10000';
  const everyMs = Number(raw);
  if (!Number.isSafeInteger(everyMs) || everyMs < 0) {
    console.error(
      `RESTOCK_INTERVAL_MS must be a whole number of ms (0 turns the restock job off), got "${raw}"`,
    );
    process.exit(1);
  }
  return everyMs;
}
const restockEveryMs = restockIntervalMs();

async function startInventory(): Promise<INestApplicationContext> {
  const app = await NestFactory.createApplicationContext(
    InventoryModule.forRoot({ restock: restockEveryMs > 0 ? { everyMs: restockEveryMs } : undefined }),
    { logger: consoleLogger(levels) },
  );
  return app.init();
}

const inventories = [await startInventory(), await startInventory()];
const order = configureHttp(
  await NestFactory.create(OrderModule.forRoot(), { logger: consoleLogger(levels) }),
);
const requestedPort = Number(process.env.PORT ?? 3000);
try {
  await order.listen(requestedPort, host);
} catch (error) {
  const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
  console.error(
    inUse
      ? `HTTP port ${requestedPort} on ${host} is in use; start with PORT=<another port> (PORT=0 picks a free one)`
      : `the order app could not listen on ${host}:${requestedPort}: ${String(error)}`,
  );
  await Promise.all([order.close(), ...inventories.map((app) => app.close())]);
  process.exit(1);
}
const httpPort = ((order.getHttpServer() as Server).address() as AddressInfo).port;

// The first campaign takes a round trip to the (in-memory) election: wait for it, briefly.
const elections = restockEveryMs > 0 ? inventories.map((app) => app.get(LeaderElectionService)) : undefined;
for (let waited = 0; elections && waited < 1000 && !elections.some((e) => e.isLeader); waited += 20) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
for (const [index, app] of inventories.entries()) {
  const server = app.get(MeshGrpcServer);
  const role = elections?.[index]!.isLeader
    ? `  leader: runs the restock job every ${restockEveryMs} ms`
    : '';
  console.log(`inventory #${index + 1}  gRPC ${host}:${server.port}  (${server.instance?.id})${role}`);
}
console.log(`order        gRPC ${host}:${order.get(MeshGrpcServer).port}  HTTP http://${host}:${httpPort}`);
console.log(
  `NestMesh demo ready: order → mesh:///inventory (2 instances, p2c: the less loaded of two). Ctrl-C stops.`,
);
if (!elections) console.log('The restock job is off (RESTOCK_INTERVAL_MS=0).');
console.log(`Try:
  curl -s -X POST http://${host}:${httpPort}/orders -H 'content-type: application/json' -d '{"items":[{"sku":"A-1","quantity":2}]}'
  curl -s http://${host}:${httpPort}/stock/A-1
Mesh dashboard (services, leaders, locks, RED, trace waterfalls): http://${host}:${httpPort}/mesh/`);
if (telemetry?.enabled) {
  // Every hop of the demo is in this one process, so its spans share the service.name.
  const traces = telemetry.traces
    ? `http://${host}:${httpPort}/debug/traces`
    : `sent to ${telemetry.traceDestination}`;
  console.log(`Telemetry (service.name=${telemetry.serviceName}, all three apps):
  metrics  http://${host}:${httpPort}/metrics
  traces   ${traces}`);
}

// npm forwards the terminal's Ctrl-C to this process, so one Ctrl-C under `npm start` arrives
// twice within milliseconds. A second signal a second or more after the first means "now".
let stoppingSince: number | undefined;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stoppingSince !== undefined) {
    if (performance.now() - stoppingSince > 1000) process.exit(130);
    return;
  }
  stoppingSince = performance.now();
  console.log(`${signal}: draining and stopping…`);
  await order.close();
  await Promise.all(inventories.map((app) => app.close()));
  // Last, so that the spans of the drain are exported too.
  await telemetry?.shutdown();
  console.log('stopped');
  process.exit(0);
}
process.on('SIGINT', (signal) => void stop(signal));
process.on('SIGTERM', (signal) => void stop(signal));
