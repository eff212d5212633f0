import { diag } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { Resource } from '@opentelemetry/resources';
import { MeterProvider, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';

import type { SamplerSetting, TelemetryConfig } from './config.js';
import { RatioSampler } from './ratio-sampler.js';
import { TraceBuffer } from './trace-buffer.js';

function samplerOf(setting: SamplerSetting): Sampler {
  switch (setting.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new RatioSampler(setting.ratio, false);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new RatioSampler(setting.ratio);
  }
}

/** Only the configured protocol's exporter is loaded (the protobuf one brings protobufjs). */
async function exporterOf(config: TelemetryConfig, url: string): Promise<SpanExporter> {
  const { OTLPTraceExporter } =
    config.protocol === 'http/json'
      ? await import('@opentelemetry/exporter-trace-otlp-http')
      : await import('@opentelemetry/exporter-trace-otlp-proto');
  return new OTLPTraceExporter({ url });
}

/**
 * The tracer provider: spans batched to OTLP when an endpoint is configured, else kept in a
 * TraceBuffer of `bufferSize` traces (returned, for /debug/traces).
 */
export async function tracingOf(
  config: TelemetryConfig,
  resource: Resource,
  { extraProcessors = [], bufferSize }: { extraProcessors?: SpanProcessor[]; bufferSize?: number },
): Promise<{ tracerProvider: TracerProvider; buffer?: TraceBuffer }> {
  const processors = [...extraProcessors];
  let buffer: TraceBuffer | undefined;
  if (config.tracesEndpoint) {
    const exporter = await exporterOf(config, config.tracesEndpoint);
    processors.push(new BatchSpanProcessor({ exporter, scheduledDelayMillis: config.scheduleDelayMs }));
  } else {
    buffer = new TraceBuffer(bufferSize);
    processors.push(buffer);
  }
  const tracerProvider = new TracerProvider({
    resource,
    sampler: samplerOf(config.sampler),
    spanProcessors: processors,
  });
  return { tracerProvider, buffer };
}

/** The Prometheus base-unit suffixes of the units NestMesh's metrics use. */
const UNIT_SUFFIXES: Readonly<Record<string, string>> = { s: 'seconds', ms: 'milliseconds', By: 'bytes' };

/**
 * Names with their unit, as the OpenTelemetry → Prometheus compatibility rules want and as
 * PromQL users expect (`rpc.server.call.duration` in `s` → `rpc_server_call_duration_seconds`);
 * the exporter's serializer only writes a `# UNIT` comment. Counters then get `_total` after it.
 */
export function withUnitSuffixes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  return {
    ...resourceMetrics,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
      ...scope,
      metrics: scope.metrics.map((metric) => {
        const suffix = UNIT_SUFFIXES[metric.descriptor.unit];
        const { name } = metric.descriptor;
        if (!suffix || name.endsWith(`.${suffix}`) || name.endsWith(`_${suffix}`)) return metric;
        return { ...metric, descriptor: { ...metric.descriptor, name: `${name}_${suffix}` } };
      }),
    })),
  };
}

/** The meter provider, read on demand into the Prometheus text format. */
export function metricsOf(resource: Resource): {
  meterProvider: MeterProvider;
  scrapeMetrics: () => Promise<string>;
} {
  // The exporter is used as a reader only; its own server would turn METRICS_PORT=0 into 9464.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ resource, readers: [prometheus] });
  const serializer = new PrometheusSerializer('', false);
  const scrapeMetrics = async () => {
    const { resourceMetrics, errors } = await prometheus.collect();
    for (const error of errors) diag.warn(`metrics collection: ${String(error)}`);
    return serializer.serialize(withUnitSuffixes(resourceMetrics));
  };
  return { meterProvider, scrapeMetrics };
}
