import { context, metrics, propagation, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  MeterProvider,
  MetricReader,
  type DataPoint,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
} from '@opentelemetry/sdk-trace';

/** Whether a data point's attributes include every one of `attributes`. */
function includes(point: DataPoint<unknown>, attributes: Attributes): boolean {
  return Object.entries(attributes).every(([name, value]) => point.attributes[name] === value);
}

class CollectingReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export interface CapturedTelemetry {
  /** Spans ended so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** The one ended span called `name`; throws when there is none or more than one. */
  span(name: string): ReadableSpan;
  /** Every metric collected now, by name. */
  metrics(): Promise<Map<string, MetricData>>;
  /** The data points of metric `name` (empty when it was never recorded). */
  points(name: string): Promise<DataPoint<unknown>[]>;
  /**
   * Measurements a histogram holds over the series whose attributes include `attributes`
   * (0 when none): a test asserts the change its own calls made.
   */
  histogramCount(name: string, attributes?: Attributes): Promise<number>;
  /** A counter's, up-down counter's or gauge's value summed over the matching series. */
  sum(name: string, attributes?: Attributes): Promise<number>;
  /** Forgets the spans ended so far (metrics are cumulative). */
  resetSpans(): void;
  /** Unregisters the providers: the API is a no-op again. */
  stop(): Promise<void>;
}

/**
 * Registers an in-memory SDK as the global one (tracer with the SDK's InMemorySpanExporter,
 * meter with a collecting reader, W3C propagation, AsyncLocalStorage context) for a test file.
 */
export function captureTelemetry(
  options: { serviceName?: string; sampler?: Sampler } = {},
): CapturedTelemetry {
  const resource = resourceFromAttributes({ 'service.name': options.serviceName ?? 'test' });
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new TracerProvider({
    resource,
    sampler: options.sampler ?? new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);

  const collect = async (): Promise<ResourceMetrics> => (await reader.collect()).resourceMetrics;
  const captured: CapturedTelemetry = {
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().filter((span) => span.name === name);
      if (found.length !== 1) {
        const names = exporter.getFinishedSpans().map((span) => span.name);
        throw new Error(`expected one span "${name}", found ${found.length} among ${JSON.stringify(names)}`);
      }
      return found[0];
    },
    async metrics() {
      const byName = new Map<string, MetricData>();
      for (const scope of (await collect()).scopeMetrics) {
        for (const metric of scope.metrics) byName.set(metric.descriptor.name, metric);
      }
      return byName;
    },
    async points(name) {
      return (await captured.metrics()).get(name)?.dataPoints ?? [];
    },
    async histogramCount(name, attributes = {}) {
      const matching = (await captured.points(name)).filter((point) => includes(point, attributes));
      return matching.reduce((count, point) => count + (point.value as { count: number }).count, 0);
    },
    async sum(name, attributes = {}) {
      const matching = (await captured.points(name)).filter((point) => includes(point, attributes));
      return matching.reduce((sum, point) => sum + (point.value as number), 0);
    },
    resetSpans: () => exporter.reset(),
    async stop() {
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
  return captured;
}
