import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME } from '../semconv.js';
import { currentTelemetry, setCurrentTelemetry, type TelemetryHandle } from '../telemetry-handle.js';
import { InvalidTelemetryConfigError } from '../telemetry.errors.js';
import { readTelemetryConfig, type TelemetryConfig } from './config.js';
import { registerGlobals, unregisterGlobals } from './globals.js';
import { loadInstrumentations } from './instrumentations.js';
import { serveMetrics } from './metrics-server.js';
import { metricsOf, tracingOf } from './pipelines.js';

export interface TelemetryOptions {
  /** `service.name` unless OTEL_SERVICE_NAME (or service.name in OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
  serviceName: string;
  /** `service.instance.id`; default `<service>-<host>-<pid>-<random>`. Give the same to discovery. */
  instanceId?: string;
  /** Where OTEL_* settings are read from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Traces kept in process when no exporter is configured; default 300. */
  traceBufferSize?: number;
  /** Extra span processors (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

function defaultInstanceId(serviceName: string): string {
  return `${serviceName}-${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

function disabledHandle(serviceName: string, instanceId: string): TelemetryHandle {
  return {
    enabled: false,
    serviceName,
    instanceId,
    traceDestination: 'off (OTEL_SDK_DISABLED=true)',
    forceFlush: () => Promise.resolve(),
    shutdown: () => {
      setCurrentTelemetry(undefined);
      return Promise.resolve();
    },
  };
}

async function enabledHandle(
  config: TelemetryConfig,
  instanceId: string,
  options: TelemetryOptions,
): Promise<TelemetryHandle> {
  const serviceName = config.serviceName;
  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_INSTANCE_ID]: instanceId,
    }),
  );
  const { tracerProvider, buffer } = await tracingOf(config, resource, {
    extraProcessors: options.spanProcessors,
    bufferSize: options.traceBufferSize,
  });
  const { meterProvider, scrapeMetrics } = metricsOf(resource);
  const host = options.env?.HOST ?? process.env.HOST ?? '127.0.0.1';
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await serveMetrics(scrapeMetrics, config.metricsPort, host);
  // Registered once nothing can fail any more: a refused start leaves no global behind.
  registerGlobals(tracerProvider, meterProvider);
  try {
    await loadInstrumentations(config, tracerProvider, meterProvider);
  } catch (error) {
    unregisterGlobals();
    await metricsServer?.close();
    throw error;
  }

  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    serviceName,
    instanceId,
    traceDestination: buffer
      ? `in-process buffer (last ${buffer.capacity} traces at /debug/traces)`
      : `otlp ${config.tracesEndpoint} (${config.protocol})`,
    traces: buffer,
    metricsUrl: metricsServer?.url,
    scrapeMetrics,
    forceFlush: () => tracerProvider.forceFlush(),
    shutdown() {
      stopped ??= (async () => {
        await Promise.allSettled([
          tracerProvider.shutdown(),
          meterProvider.shutdown(),
          metricsServer?.close(),
        ]);
        unregisterGlobals();
        setCurrentTelemetry(undefined);
      })();
      return stopped;
    },
  };
}

/**
 * Sets up the OpenTelemetry SDK for this process from the standard OTEL_* variables: traces to
 * OTLP/HTTP when an endpoint is set, else into an in-process buffer served at /debug/traces;
 * metrics for Prometheus (the HTTP app's /metrics, or METRICS_PORT). Call it first in main.ts,
 * then import the app. A second call throws; OTEL_SDK_DISABLED=true gives a handle that records
 * nothing. Bad settings throw InvalidTelemetryConfigError.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<TelemetryHandle> {
  if (!options || typeof options.serviceName !== 'string' || options.serviceName.trim() === '') {
    throw new InvalidTelemetryConfigError('serviceName', 'must be the app\'s name, e.g. "order"');
  }
  if (currentTelemetry()) {
    throw new InvalidTelemetryConfigError('startTelemetry', 'was called twice in this process');
  }
  const config = readTelemetryConfig(options.serviceName, options.env ?? process.env);
  const instanceId =
    config.resourceAttributes[ATTR_SERVICE_INSTANCE_ID] ??
    options.instanceId ??
    defaultInstanceId(config.serviceName);
  const handle = config.disabled
    ? disabledHandle(config.serviceName, instanceId)
    : await enabledHandle(config, instanceId, options);
  setCurrentTelemetry(handle);
  return handle;
}
