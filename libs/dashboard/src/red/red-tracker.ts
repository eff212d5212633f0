// RED figures (rate, errors, duration) per RPC method, from the difference between two
// scrapes of each instance's histograms: what happened in the last refresh period, not
// since the process started.
import type { PrometheusSample } from '../prometheus/prometheus-text.js';
import { rpcHistograms, type CallKind, type HistogramSeries } from './rpc-histograms.js';

/** One row of the RED table: a method of a service, over the last period, all instances summed. */
export interface RedRow {
  readonly service: string;
  readonly kind: CallKind;
  readonly method: string;
  /** Calls per second. */
  readonly ratePerSecond: number;
  /** Failed calls / calls, 0..1 (0 when there were no calls). */
  readonly errorRatio: number;
  /** Estimated from the histogram buckets (linear within a bucket); undefined without calls. */
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  /** Calls in the period. */
  readonly calls: number;
  /** Instances that contributed. */
  readonly instances: number;
}

interface Scrape {
  readonly atMs: number;
  readonly series: Map<string, HistogramSeries>;
}

interface Delta {
  source: string;
  seconds: number;
  series: HistogramSeries;
  previous?: HistogramSeries;
}

/** Keeps the last scrape of each source; `round()` gives the table for the newest scrapes. */
export class RedTracker {
  private last = new Map<string, Scrape>();

  /** `clock` gives ms (monotonic is best); injected so that tests need no sleeping. */
  constructor(private readonly clock: () => number = () => performance.now()) {}

  /**
   * One round: each source's metrics as just scraped. A source seen for the first time gives
   * no row yet (one scrape has no period); a source missing from the round is forgotten.
   */
  round(
    scrapes: readonly { source: string; service: string; samples: readonly PrometheusSample[] }[],
  ): RedRow[] {
    const now = this.clock();
    const next = new Map<string, Scrape>();
    const groups = new Map<string, { service: string; kind: CallKind; method: string; deltas: Delta[] }>();
    for (const { source, service, samples } of scrapes) {
      const scrape = { atMs: now, series: rpcHistograms(samples) };
      next.set(source, scrape);
      const before = this.last.get(source);
      const seconds = before ? (now - before.atMs) / 1000 : 0;
      if (!before || seconds <= 0) continue;
      for (const [key, series] of scrape.series) {
        const groupKey = `${service}\u0000${series.kind}\u0000${series.method}`;
        let group = groups.get(groupKey);
        if (!group)
          groups.set(groupKey, (group = { service, kind: series.kind, method: series.method, deltas: [] }));
        group.deltas.push({ source, seconds, series, previous: before.series.get(key) });
      }
    }
    this.last = next;
    return [...groups.values()]
      .map(rowOf)
      .sort(
        (a, b) =>
          a.service.localeCompare(b.service) ||
          a.kind.localeCompare(b.kind) ||
          a.method.localeCompare(b.method),
      );
  }
}

/** A counter's increase; a smaller value means the process restarted (its counters reset). */
function increase(current: number, previous: number | undefined): number {
  return previous === undefined || current < previous ? current : current - previous;
}

function rowOf(group: { service: string; kind: CallKind; method: string; deltas: Delta[] }): RedRow {
  let calls = 0;
  let errors = 0;
  let rate = 0;
  const buckets = new Map<number, number>();
  for (const { seconds, series, previous } of group.deltas) {
    const reset = previous !== undefined && series.count < previous.count;
    const base = reset ? undefined : previous;
    const added = increase(series.count, base?.count);
    calls += added;
    rate += added / seconds;
    if (series.error) errors += added;
    for (const bucket of series.buckets) {
      const before = base?.buckets.find((each) => each.le === bucket.le)?.count;
      buckets.set(bucket.le, (buckets.get(bucket.le) ?? 0) + increase(bucket.count, before));
    }
  }
  const cumulative = [...buckets.entries()].sort(([a], [b]) => a - b).map(([le, count]) => ({ le, count }));
  return {
    service: group.service,
    kind: group.kind,
    method: group.method,
    ratePerSecond: rate,
    errorRatio: calls > 0 ? errors / calls : 0,
    p50Ms: quantileMs(cumulative, 0.5),
    p99Ms: quantileMs(cumulative, 0.99),
    calls,
    instances: new Set(group.deltas.map((delta) => delta.source)).size,
  };
}

/**
 * The q-quantile of cumulative buckets (seconds), in ms: linear within the bucket that holds
 * the rank, as Prometheus' histogram_quantile does; in the +Inf bucket, the highest finite bound.
 */
export function quantileMs(buckets: readonly { le: number; count: number }[], q: number): number | undefined {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lower * 1000;
      const inBucket = count - below;
      const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lower + (le - lower) * fraction) * 1000;
    }
    lower = le;
    below = count;
  }
  return lower * 1000;
}
