import { context, diag, DiagLogLevel, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { TracerProvider } from '@opentelemetry/sdk-trace';

/** Makes the providers the process's: the libraries' @opentelemetry/api calls record from now on. */
export function registerGlobals(tracerProvider: TracerProvider, meterProvider: MeterProvider): void {
  diag.setLogger(
    {
      error: (message) => console.error(`otel: ${message}`),
      warn: (message) => console.warn(`otel: ${message}`),
      info() {},
      debug() {},
      verbose() {},
    },
    DiagLogLevel.WARN,
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
}

/** The API is a no-op again (and a later startTelemetry may register anew). */
export function unregisterGlobals(): void {
  trace.disable();
  metrics.disable();
  propagation.disable();
  context.disable();
  diag.disable();
}
