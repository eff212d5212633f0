import { isSpanContextValid, trace } from '@opentelemetry/api';

/** The ids a log line carries: those of the span active where it is written. */
export interface TraceIds {
  trace_id: string;
  span_id: string;
}

/** The active span's ids, or undefined outside a (valid) span — e.g. telemetry off. */
export function activeTraceIds(): TraceIds | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const context = span.spanContext();
  return isSpanContextValid(context) ? { trace_id: context.traceId, span_id: context.spanId } : undefined;
}
