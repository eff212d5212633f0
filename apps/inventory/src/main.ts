// One inventory instance as its own process: `node apps/inventory/dist/main.js`.
// Env: INVENTORY_GRPC_PORT (default 0), DISCOVERY_URL (default memory://), HOST, ADVERTISE_HOST, REDIS_URL,
// ELECTION_URL (the restock and reconcile jobs' leader election; default REDIS_URL, then memory://),
// RESTOCK_INTERVAL_MS (default 10 000; 0 turns the leader-only restock job off),
// RECONCILE_INTERVAL_MS (default 10 000; 0 turns the leader-only release of expired reservations
// off), RESERVATION_TTL_MS (how long a reservation is held unconfirmed; default 120 000), METRICS_PORT
// (Prometheus /metrics; 0 picks a free port) and the OTEL_* variables.
// Prints `inventory ready grpc=<host:port> id=<instance id> election=<url> metrics=<url|off>` once
// serving and registered. See docs/configuration.md.
import { startTelemetry } from '@nestmesh/telemetry/sdk';

// Telemetry first, the app after it (a dynamic import): the opt-in auto-instrumentations
// (OTEL_NODE_ENABLED_INSTRUMENTATIONS) patch only the modules loaded after startTelemetry.
const telemetry = await startTelemetry({ serviceName: 'inventory' });
const { startInventoryProcess } = await import('./inventory.process.js');
await startInventoryProcess(telemetry);
