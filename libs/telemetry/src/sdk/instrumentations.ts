import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { TracerProvider } from '@opentelemetry/sdk-trace';

import type { TelemetryConfig } from './config.js';

/** `/metrics` and `/debug/traces[/…]`: polled by scrapers and viewers, never worth a span. */
const TELEMETRY_PATHS = /^\/(metrics|debug\/traces)(\/|\?|$)/;

/**
 * Loads the opt-in auto-instrumentations (OTEL_NODE_ENABLED_INSTRUMENTATIONS). ESM modules are
 * patched through an import-in-the-middle loader hook, registered here: only modules imported
 * after this call are instrumented, so an app imports its modules after startTelemetry. The
 * hook is what makes startup slower (see docs/telemetry.md), hence opt-in.
 */
export async function loadInstrumentations(
  config: TelemetryConfig,
  tracerProvider: TracerProvider,
  meterProvider: MeterProvider,
): Promise<void> {
  if (config.instrumentations.length === 0) return;
  const { register } = await import('node:module');
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  const instrumentations = [];
  if (config.instrumentations.includes('http')) {
    const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
    instrumentations.push(
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => TELEMETRY_PATHS.test(request.url ?? ''),
      }),
    );
  }
  if (config.instrumentations.includes('ioredis')) {
    const { IORedisInstrumentation } = await import('@opentelemetry/instrumentation-ioredis');
    instrumentations.push(new IORedisInstrumentation());
  }
  registerInstrumentations({ instrumentations, tracerProvider, meterProvider });
}
