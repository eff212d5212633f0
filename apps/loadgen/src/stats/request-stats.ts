/** How one request ended. `failed` carries its HTTP status, gRPC status name or error code. */
export type Outcome = { result: 'ok' } | { result: 'failed'; reason: string } | { result: 'timeout' };

/** The counts of one kind of request over a span of time. */
export interface Counts {
  ok: number;
  /** Failures by reason (`409`, `UNAVAILABLE`, `ECONNREFUSED`), in the order first seen. */
  failed: Map<string, number>;
  /** Ended by LOADGEN_TIMEOUT_MS (or a gRPC DEADLINE_EXCEEDED). */
  timedOut: number;
  /** Ticks skipped because LOADGEN_MAX_IN_FLIGHT requests of this kind were still running. */
  shed: number;
  /** Ticks dropped because the load generator itself was stalled when they fell due. */
  missed: number;
}

/** One interval's counts, with the latency of the requests that ended before their timeout. */
export interface IntervalCounts extends Counts {
  /** Milliseconds, nearest-rank percentiles; undefined when no request ended in the interval. */
  p50Ms?: number;
  p99Ms?: number;
}

function emptyCounts(): Counts {
  return { ok: 0, failed: new Map(), timedOut: 0, shed: 0, missed: 0 };
}

/** The nearest-rank percentile `fraction` (0..1] of ascending `sorted`. */
export function percentile(sorted: readonly number[], fraction: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length))) - 1];
}

function addInto(total: Counts, part: Counts): void {
  total.ok += part.ok;
  total.timedOut += part.timedOut;
  total.shed += part.shed;
  total.missed += part.missed;
  for (const [reason, count] of part.failed)
    total.failed.set(reason, (total.failed.get(reason) ?? 0) + count);
}

/**
 * The counts of one kind of request (orders, HTTP stock reads, gRPC stock reads): the current
 * interval, taken and reset by each report, and the totals since start. Latencies are kept for
 * the interval only (at most rate × interval numbers), so memory does not grow with run time.
 */
export class RequestStats {
  private interval = emptyCounts();
  private latenciesMs: number[] = [];
  private readonly totals = emptyCounts();

  record(outcome: Outcome, latencyMs: number): void {
    if (outcome.result === 'ok') this.interval.ok++;
    else if (outcome.result === 'timeout') this.interval.timedOut++;
    else this.interval.failed.set(outcome.reason, (this.interval.failed.get(outcome.reason) ?? 0) + 1);
    if (outcome.result !== 'timeout') this.latenciesMs.push(latencyMs);
  }

  shed(): void {
    this.interval.shed++;
  }

  missed(ticks: number): void {
    this.interval.missed += ticks;
  }

  /** The interval since the last take, with its percentiles; starts the next interval. */
  takeInterval(): IntervalCounts {
    const counts = this.interval;
    const sorted = this.latenciesMs.sort((a, b) => a - b);
    addInto(this.totals, counts);
    this.interval = emptyCounts();
    this.latenciesMs = [];
    return { ...counts, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99) };
  }

  /** Everything since start, the current interval included. */
  total(): Counts {
    const total = emptyCounts();
    addInto(total, this.totals);
    addInto(total, this.interval);
    return total;
  }
}
