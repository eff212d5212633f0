import type { Counts, IntervalCounts } from './request-stats.js';

/** The kinds of request, in the order a summary lists them. */
export type RequestKind = 'order' | 'stock-http' | 'stock-grpc';

function sumFailed(failed: Map<string, number>): number {
  let sum = 0;
  for (const count of failed.values()) sum += count;
  return sum;
}

function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  return ms >= 100 ? `${Math.round(ms)}ms` : `${ms.toFixed(1)}ms`;
}

/** `order ok=12 failed=2(409=2) timeout=0 shed=0 missed=0 p50=3.1ms p99=9.0ms`. */
export function formatCounts(kind: RequestKind, counts: Counts | IntervalCounts): string {
  const failedCount = sumFailed(counts.failed);
  const reasons = [...counts.failed].map(([reason, count]) => `${reason}=${count}`).join(',');
  const parts = [
    kind,
    `ok=${counts.ok}`,
    `failed=${failedCount}${failedCount > 0 ? `(${reasons})` : ''}`,
    `timeout=${counts.timedOut}`,
    `shed=${counts.shed}`,
    `missed=${counts.missed}`,
  ];
  if ('p50Ms' in counts) parts.push(`p50=${formatMs(counts.p50Ms)}`, `p99=${formatMs(counts.p99Ms)}`);
  return parts.join(' ');
}

/**
 * One line: `loadgen <label> <seconds>s | order … | stock-http … | stock-grpc …`. `label` is
 * `interval` for a report, `total` for the final one.
 */
export function formatSummary(
  label: 'interval' | 'total',
  elapsedMs: number,
  kinds: readonly (readonly [RequestKind, Counts | IntervalCounts])[],
): string {
  const sections = kinds.map(([kind, counts]) => formatCounts(kind, counts));
  return [`loadgen ${label} ${(elapsedMs / 1000).toFixed(1)}s`, ...sections].join(' | ');
}
