import type { ResolvedDeadlineCheck } from './shedding.options.js';

/**
 * The usual latency of one method: a low quantile (default the 10th percentile) of its last
 * `samples` successful durations, once it has `minSamples`. A low quantile, not the mean: a
 * call whose deadline is shorter than what nine calls in ten take could hardly finish, while
 * one shorter than the mean still often would. Kept sorted beside the ring of arrivals, so
 * reading it costs nothing and adding one moves at most `samples` numbers.
 */
export class UsualLatency {
  private readonly arrivals: number[] = [];
  private readonly sorted: number[] = [];
  private next = 0;

  constructor(private readonly settings: ResolvedDeadlineCheck) {}

  record(durationMs: number): void {
    if (this.arrivals.length < this.settings.samples) {
      this.arrivals.push(durationMs);
    } else {
      const evicted = this.arrivals[this.next];
      this.arrivals[this.next] = durationMs;
      this.next = (this.next + 1) % this.settings.samples;
      this.sorted.splice(indexOf(this.sorted, evicted), 1);
    }
    this.sorted.splice(indexOf(this.sorted, durationMs), 0, durationMs);
  }

  /** In ms; `undefined` until the method has `minSamples` successful calls. */
  usualMs(): number | undefined {
    const count = this.sorted.length;
    if (count < this.settings.minSamples) return undefined;
    return this.sorted[Math.min(count - 1, Math.floor(this.settings.quantile * count))];
  }
}

/** The first index whose value is ≥ `value` (binary search). */
function indexOf(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle] < value) low = middle + 1;
    else high = middle;
  }
  return low;
}
