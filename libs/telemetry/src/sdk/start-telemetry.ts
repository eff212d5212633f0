import { context, diag, metrics, propagation, trace, DiagLogLevel } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME } from '../semconv.js';
import { currentTelemetry, setCurrentTelemetry, type TelemetryHandle } from '../telemetry-handle.js';
import { InvalidTelemetryConfigError } from '../telemetry.errors.js';
import { readTelemetryConfig, type SamplerSetting, type TelemetryConfig } from './config.js';
import { serveMetrics } from './metrics-server.js';
import { TraceBuffer } from './trace-buffer.js';

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

function samplerOf(setting: SamplerSetting): Sampler {
  switch (setting.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(setting.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(setting.ratio) });
  }
}

async function exporterOf(config: TelemetryConfig, url: string): Promise<SpanExporter> {
  const { OTLPTraceExporter } =
    config.protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url });
}

/**
 * Loads the opt-in auto-instrumentations. ESM modules are patched through an
 * import-in-the-middle loader hook, registered here: only modules imported after this call
 * are instrumented, so an app imports its modules after startTelemetry (see docs/telemetry.md).
 */
async function loadInstrumentations(
  config: TelemetryConfig,
  tracerProvider: TracerProvider,
  meterProvider: MeterProvider,
) {
  if (config.instrumentations.length === 0) return;
  const { register } = await import('node:module');
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const { registerInstrumentations } = await import('@opentelemetry/instrumentation');
  const instrumentations = [];
  if (config.instrumentations.includes('http')) {
    const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
    // Prometheus scrapes and trace viewers polling would otherwise fill the trace buffer.
    instrumentations.push(
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => /^\/(metrics|debug\/traces)(\/|\?|$)/.test(request.url ?? ''),
      }),
    );
  }
  if (config.instrumentations.includes('ioredis')) {
    const { IORedisInstrumentation } = await import('@opentelemetry/instrumentation-ioredis');
    instrumentations.push(new IORedisInstrumentation());
  }
  registerInstrumentations({ instrumentations, tracerProvider, meterProvider });
}

function defaultInstanceId(serviceName: string): string {
  return `${serviceName}-${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
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
  const serviceName = config.serviceName;
  const instanceId =
    config.resourceAttributes[ATTR_SERVICE_INSTANCE_ID] ??
    options.instanceId ??
    defaultInstanceId(serviceName);

  if (config.disabled) {
    const handle: TelemetryHandle = {
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
    setCurrentTelemetry(handle);
    return handle;
  }

  const resource = defaultResource().merge(
    resourceFromAttributes({
      ...config.resourceAttributes,
      [ATTR_SERVICE_NAME]: serviceName,
      [ATTR_SERVICE_INSTANCE_ID]: instanceId,
    }),
  );

  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  let buffer: TraceBuffer | undefined;
  if (config.tracesEndpoint) {
    processors.push(
      new BatchSpanProcessor({
        exporter: await exporterOf(config, config.tracesEndpoint),
        scheduledDelayMillis: config.scheduleDelayMs,
      }),
    );
  } else {
    buffer = new TraceBuffer(options.traceBufferSize);
    processors.push(buffer);
  }
  const tracerProvider = new TracerProvider({
    resource,
    sampler: samplerOf(config.sampler),
    spanProcessors: processors,
  });

  // The exporter is used as a reader only; its own server would turn METRICS_PORT=0 into 9464.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  const serializer = new PrometheusSerializer('', false);
  const scrapeMetrics = async () => {
    const { resourceMetrics, errors } = await prometheus.collect();
    for (const error of errors) diag.warn(`metrics collection: ${String(error)}`);
    return serializer.serialize(resourceMetrics);
  };
  const metricsServer =
    config.metricsPort === undefined
      ? undefined
      : await serveMetrics(
          scrapeMetrics,
          config.metricsPort,
          options.env?.HOST ?? process.env.HOST ?? '127.0.0.1',
        );

  // Registered with the rest, once nothing can fail any more: a refused start leaves no global.
  diag.setLogger(
    {
      error: (m) => console.error(`otel: ${m}`),
      warn: (m) => console.warn(`otel: ${m}`),
      info() {},
      debug() {},
      verbose() {},
    },
    DiagLogLevel.WARN,
  );
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  await loadInstrumentations(config, tracerProvider, meterProvider);

  let stopped: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    enabled: true,
    serviceName,
    instanceId,
    traceDestination: config.tracesEndpoint
      ? `otlp ${config.tracesEndpoint} (${config.protocol})`
      : `in-process buffer (last ${buffer!.capacity} traces at /debug/traces)`,
    traces: buffer,
    metricsUrl: metricsServer?.url,
    scrapeMetrics,
    async forceFlush() {
      await tracerProvider.forceFlush();
    },
    shutdown() {
      stopped ??= (async () => {
        await Promise.allSettled([
          tracerProvider.shutdown(),
          meterProvider.shutdown(),
          metricsServer?.close(),
        ]);
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
        diag.disable();
        setCurrentTelemetry(undefined);
      })();
      return stopped;
    },
  };
  setCurrentTelemetry(handle);
  return handle;
}
