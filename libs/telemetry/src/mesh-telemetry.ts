import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';

/**
 * The tracer of a NestMesh library or app (`meshTracer('@nestmesh/grpc')`). Until an SDK is
 * registered (`startTelemetry`) it is the API's no-op; afterwards the same object records,
 * so libraries may take it at import time.
 */
export function meshTracer(scope: string): Tracer {
  return trace.getTracer(scope);
}

/** The meter of a NestMesh library or app; a no-op until an SDK is registered. */
export function meshMeter(scope: string): Meter {
  return metrics.getMeter(scope);
}

/** Seconds elapsed since `startMs` (a `performance.now()` reading), for duration histograms. */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
