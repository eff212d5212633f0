// One trace crosses processes: each keeps the spans it recorded in its own buffer. These merge
// what every source holds into one list of traces and one trace's spans (the waterfall's data).
import type { BufferedSpan, TraceSummary } from '@nestmesh/telemetry';

/** A trace as the dashboard lists it: its summaries from every source, combined. */
export interface MergedTraceSummary extends TraceSummary {
  /** The sources (instance ids, or `self`) that hold some of its spans. */
  readonly sources: string[];
}

/**
 * Combines the trace lists of several sources: a trace seen by several sources becomes one
 * entry (span and error counts added, time span covering all parts, root from the part that
 * started first). Most recent first, at most `limit`.
 */
export function mergeTraceLists(
  lists: readonly { source: string; traces: readonly TraceSummary[] }[],
  limit: number,
): MergedTraceSummary[] {
  const merged = new Map<string, { parts: TraceSummary[]; sources: Set<string> }>();
  for (const { source, traces } of lists) {
    for (const summary of traces) {
      const entry = merged.get(summary.traceId) ?? { parts: [], sources: new Set<string>() };
      entry.parts.push(summary);
      entry.sources.add(source);
      merged.set(summary.traceId, entry);
    }
  }
  return [...merged.values()]
    .map(({ parts, sources }) => combine(parts, [...sources].sort()))
    .sort((a, b) => b.startTimeMs - a.startTimeMs)
    .slice(0, limit);
}

function combine(parts: TraceSummary[], sources: string[]): MergedTraceSummary {
  const first = parts.reduce((earliest, part) => (part.startTimeMs < earliest.startTimeMs ? part : earliest));
  const end = Math.max(...parts.map((part) => part.startTimeMs + part.durationMs));
  return {
    traceId: first.traceId,
    root: first.root,
    startTimeMs: first.startTimeMs,
    durationMs: end - first.startTimeMs,
    spanCount: parts.reduce((sum, part) => sum + part.spanCount, 0),
    errors: parts.reduce((sum, part) => sum + part.errors, 0),
    services: [...new Set(parts.flatMap((part) => part.services))].sort(),
    sources,
  };
}

/**
 * The spans of one trace from every source, each span once (a span id seen twice, as when
 * two dashboards' sources overlap, is kept once), by start time with a parent before its
 * child on a tie.
 */
export function mergeSpans(lists: readonly (readonly BufferedSpan[])[]): BufferedSpan[] {
  const byId = new Map<string, BufferedSpan>();
  for (const spans of lists)
    for (const span of spans) if (!byId.has(span.spanId)) byId.set(span.spanId, span);
  return [...byId.values()].sort(
    (a, b) =>
      a.startTimeMs - b.startTimeMs ||
      (b.parentSpanId === a.spanId ? -1 : a.parentSpanId === b.spanId ? 1 : 0) ||
      a.spanId.localeCompare(b.spanId),
  );
}
