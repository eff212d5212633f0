// The demo stack's load generator: `node apps/loadgen/dist/main.js`.
// Env: ORDER_URL (required), STOCK_GRPC_TARGET, ORDERS_PER_SECOND, STOCK_READS_PER_SECOND,
// LOADGEN_SKUS, LOADGEN_MAX_IN_FLIGHT, LOADGEN_REPORT_MS, LOADGEN_TIMEOUT_MS, GRPC_TLS_* (the gRPC
// reads over TLS, see docs/loadgen.md) and the OTEL_* variables (see docs/configuration.md).
// Prints `loadgen ready order=<url> grpc=<target|off> …`.
import { startTelemetry } from '@nestmesh/telemetry/sdk';

import { readLoadgenConfig } from './loadgen.config.js';
import { InvalidLoadgenConfigError } from './loadgen.errors.js';

/** The configuration, or exit 1 with the message naming the variable — before anything starts. */
function configOrExit() {
  try {
    return readLoadgenConfig(process.env);
  } catch (error) {
    if (!(error instanceof InvalidLoadgenConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const config = configOrExit();
// Telemetry first, the load generator after it (a dynamic import): the opt-in
// auto-instrumentations (OTEL_NODE_ENABLED_INSTRUMENTATIONS) patch only modules loaded later.
const telemetry = await startTelemetry({ serviceName: 'loadgen' });
const { startLoadgenProcess } = await import('./loadgen.process.js');
startLoadgenProcess(config, telemetry);
