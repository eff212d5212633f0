// The embedded demo: one process, no external services. One order app (HTTP + gRPC) and two
// inventory instances, each gRPC server on its own port, finding each other through the
// in-memory registry. The inventory instances elect a leader (in-memory election), which alone
// runs the restock job every RESTOCK_INTERVAL_MS (default 10 000; 0: off). Env: PORT (HTTP,
// default 3000; 0 picks a free one), HOST, NESTMESH_VERBOSE, the OTEL_* variables. See
// docs/configuration.md.
import { startTelemetry } from '@nestmesh/telemetry/sdk';

// One process, one `service.name`: "demo" (OTEL_SERVICE_NAME overrides it). Every span of the
// order app and of both inventories carries it; the span names tell the hops apart. With no
// exporter configured, traces are kept in process and served at /debug/traces.
// Telemetry first, the app after it (a dynamic import): the opt-in auto-instrumentations
// patch only the modules loaded after startTelemetry.
await startTelemetry({ serviceName: 'demo' });
await import('./demo.process.js');
