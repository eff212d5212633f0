// The order service as its own process: `node apps/order/dist/main.js`.
// Env: PORT (HTTP, default 3000; 0 picks one), ORDER_GRPC_PORT (default 0), DISCOVERY_URL, HOST, ADVERTISE_HOST,
// HTTP_BODY_LIMIT_BYTES, HTTP_DEADLINE_MS, HTTP_RATE_LIMIT, HTTP_CORS_ORIGINS, HTTP_TRUST_PROXY,
// and the OTEL_* variables (see docs/configuration.md).
// Prints `order ready http=<url> grpc=<host:port>` once listening.
import { startTelemetry } from '@nestmesh/telemetry/sdk';

// Telemetry first, the app after it (a dynamic import): the opt-in auto-instrumentations
// (OTEL_NODE_ENABLED_INSTRUMENTATIONS) patch only the modules loaded after startTelemetry.
const telemetry = await startTelemetry({ serviceName: 'order' });
const { startOrderProcess } = await import('./order.process.js');
await startOrderProcess(telemetry);
