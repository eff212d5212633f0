// The load generator once telemetry is started (main.ts imports this after startTelemetry, so
// that node:http is loaded after the opt-in http instrumentation is registered).
import { GrpcTlsConfigError, tlsFromEnv } from '@nestmesh/grpc';
import type { TelemetryHandle } from '@nestmesh/telemetry';

import { GrpcStockClient } from './callers/grpc-stock.caller.js';
import { OrderHttpClient } from './callers/http.caller.js';
import type { LoadgenConfig } from './loadgen.config.js';
import { Loadgen } from './loadgen.js';
import { monotonicClock } from './schedule/clock.js';

/** A second stop signal this long after the first ends the process at once (status 130). */
const FORCE_AFTER_MS = 1000;

/** GRPC_TLS_* for the gRPC stock reads, or exit 1 with the message naming the variable. */
function stockTlsOrExit(env: NodeJS.ProcessEnv) {
  try {
    return tlsFromEnv(env);
  } catch (error) {
    if (!(error instanceof GrpcTlsConfigError)) throw error;
    console.error(`loadgen: ${error.message}`);
    process.exit(1);
  }
}

/**
 * Runs the load until SIGTERM/SIGINT, then stops scheduling, waits for the requests in flight
 * (bounded by LOADGEN_TIMEOUT_MS), prints the totals, flushes telemetry and exits 0.
 */
export function startLoadgenProcess(config: LoadgenConfig, telemetry: TelemetryHandle): void {
  // Orders and HTTP stock reads share the connections: each kind may have maxInFlight running.
  const http = new OrderHttpClient(config.orderUrl, 2 * config.maxInFlight);
  const grpc = config.stockGrpcTarget
    ? new GrpcStockClient(
        config.stockGrpcTarget,
        config.timeoutMs,
        telemetry.enabled,
        stockTlsOrExit(process.env),
      )
    : undefined;
  const loadgen = new Loadgen(
    config,
    { order: http.placeOrder, stockHttp: http.readStock, stockGrpc: grpc?.readStock },
    monotonicClock,
    (line) => console.log(line),
  );

  let stoppingSince: number | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    // A terminal's Ctrl-C can arrive twice (the terminal's and npm's forward): only a later one forces.
    if (stoppingSince !== undefined) {
      if (performance.now() - stoppingSince > FORCE_AFTER_MS) process.exit(130);
      return;
    }
    stoppingSince = performance.now();
    console.log(`loadgen ${signal}: stopping, waiting for ${loadgen.inFlight} request(s) in flight`);
    await loadgen.stop();
    http.close();
    grpc?.close();
    // The totals are printed: an export that fails now is reported, not a reason to fail the stop.
    await telemetry
      .shutdown()
      .catch((error: unknown) => console.error(`loadgen: telemetry did not flush: ${String(error)}`));
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void stop(signal));
  process.on('SIGINT', (signal) => void stop(signal));

  console.log(
    `loadgen ready order=${config.orderUrl} grpc=${config.stockGrpcTarget ?? 'off'} ` +
      `rate=${config.ordersPerSecond}/s orders, ${config.stockReadsPerSecond}/s stock reads`,
  );
  loadgen.start();
}
