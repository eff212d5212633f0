import type { Context, HrTime } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

import type { BufferedSpan, TraceStore, TraceSummary } from '../telemetry-handle.js';

const KINDS: BufferedSpan['kind'][] = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS: BufferedSpan['status']['code'][] = ['UNSET', 'OK', 'ERROR'];
/** Spans kept per trace; a runaway trace (a long stream) does not eat the buffer. */
const MAX_SPANS_PER_TRACE = 1000;

/** Fractional ms: core's hrTimeToMilliseconds rounds to whole ms, and a gRPC hop takes less. */
function milliseconds([seconds, nanoseconds]: HrTime): number {
  return seconds * 1000 + nanoseconds / 1e6;
}

/** By start time; on a tie (same microsecond) a parent comes before its child. */
function byStart(a: BufferedSpan, b: BufferedSpan): number {
  return (
    a.startTimeMs - b.startTimeMs || (b.parentSpanId === a.spanId ? -1 : a.parentSpanId === b.spanId ? 1 : 0)
  );
}

function serviceOf(span: ReadableSpan): string {
  const name = span.resource.attributes['service.name'];
  return typeof name === 'string' ? name : 'unknown';
}

function toBuffered(span: ReadableSpan): BufferedSpan {
  const { traceId, spanId } = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    traceId,
    spanId,
    ...(parent ? { parentSpanId: parent.spanId } : {}),
    name: span.name,
    kind: KINDS[span.kind] ?? 'INTERNAL',
    service: serviceOf(span),
    startTimeMs: milliseconds(span.startTime),
    durationMs: milliseconds(span.duration),
    status: {
      code: STATUS[span.status.code] ?? 'UNSET',
      ...(span.status.message ? { message: span.status.message } : {}),
    },
    attributes: { ...span.attributes },
    events: span.events.map((event) => ({
      name: event.name,
      timeMs: milliseconds(event.time),
      attributes: { ...event.attributes },
    })),
  };
}

/**
 * A span processor that keeps the last `capacity` traces in memory (least recently touched
 * trace evicted first): the embedded default when no exporter is configured, served as
 * JSON by the HTTP app at /debug/traces. It keeps the ended spans themselves (immutable once
 * ended) and converts them only when asked: at 100 % sampling the hot path pays a Map update
 * per span, not a copy.
 */
export class TraceBuffer implements SpanProcessor, TraceStore {
  /** Insertion order = recency: a trace that gets a span moves to the end. */
  private readonly traces = new Map<string, ReadableSpan[]>();

  constructor(readonly capacity = 300) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (!span.spanContext().traceFlags) return;
    const { traceId } = span.spanContext();
    const spans = this.traces.get(traceId) ?? [];
    this.traces.delete(traceId);
    if (spans.length < MAX_SPANS_PER_TRACE) spans.push(span);
    this.traces.set(traceId, spans);
    if (this.traces.size > this.capacity) this.traces.delete(this.traces.keys().next().value!);
  }

  list(): TraceSummary[] {
    return [...this.traces.entries()]
      .reverse()
      .map(([traceId, spans]) => summarize(traceId, spans.map(toBuffered)));
  }

  get(traceId: string): BufferedSpan[] | undefined {
    const spans = this.traces.get(traceId);
    return spans ? spans.map(toBuffered).sort(byStart) : undefined;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.traces.clear();
    return Promise.resolve();
  }
}

function summarize(traceId: string, spans: BufferedSpan[]): TraceSummary {
  const ids = new Set(spans.map((span) => span.spanId));
  const start = Math.min(...spans.map((span) => span.startTimeMs));
  const end = Math.max(...spans.map((span) => span.startTimeMs + span.durationMs));
  const root =
    spans.find((span) => !span.parentSpanId) ??
    spans.find((span) => !ids.has(span.parentSpanId!)) ??
    spans[0];
  return {
    traceId,
    root: root.name,
    startTimeMs: start,
    durationMs: end - start,
    spanCount: spans.length,
    errors: spans.filter((span) => span.status.code === 'ERROR').length,
    services: [...new Set(spans.map((span) => span.service))],
  };
}
