import type { ResolvedDeadlineCheck } from './shedding.options.js';

/**
 * The usual latency of one method: a low quantile (default the 10th percentile) of its last
 * `samples` successful durations, once it has `minSamples`. A low quantile, not the mean: a
 * call whose deadline is shorter than what nine calls in ten take could hardly finish, while
 * one shorter than the mean still often would. Kept sorted beside the ring of arrivals, so
 * reading it costs nothing and adding one moves at most `samples` numbers, allocating nothing.
 */
export class UsualLatency {
  private readonly arrivals: number[] = [];
  private readonly sorted: number[] = [];
  private next = 0;

  constructor(private readonly settings: ResolvedDeadlineCheck) {}

  record(durationMs: number): void {
    if (this.arrivals.length < this.settings.samples) {
      this.arrivals.push(durationMs);
      this.sorted.push(durationMs);
      this.slide(this.sorted.length - 1, durationMs);
      return;
    }
    const evicted = this.arrivals[this.next];
    this.arrivals[this.next] = durationMs;
    this.next = (this.next + 1) % this.settings.samples;
    this.slide(indexOf(this.sorted, evicted), durationMs);
  }

  /** Moves the hole at `index` to where `value` belongs, shifting what is between by one. */
  private slide(index: number, value: number): void {
    const sorted = this.sorted;
    let hole = index;
    while (hole + 1 < sorted.length && sorted[hole + 1] < value) {
      sorted[hole] = sorted[hole + 1];
      hole++;
    }
    while (hole > 0 && sorted[hole - 1] > value) {
      sorted[hole] = sorted[hole - 1];
      hole--;
    }
    sorted[hole] = value;
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
