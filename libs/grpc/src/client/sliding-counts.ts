/**
 * Counts of a few kinds of events (`kinds` of them, numbered from 0) over the last `windowMs`,
 * in `buckets` equal buckets: a bucket older than the window is dropped whole, so the window
 * slides by `windowMs / buckets` at a time. Totals are kept as buckets come and go, so reading
 * one costs no loop over the buckets except for those that expired since the last read. Times
 * are in ms on one monotonic clock; a clock going back counts into the newest bucket. The
 * circuit breaker's window (requests, accepts) and the retry budget (requests, retries) use it.
 */
export class SlidingCounts {
  private readonly bucketMs: number;
  private readonly byBucket: Uint32Array[];
  private readonly totals: number[];
  /** The number (`floor(now / bucketMs)`) of the newest bucket written or read. */
  private newest: number;

  constructor(
    windowMs: number,
    private readonly buckets: number,
    kinds: number,
    now: number,
  ) {
    this.bucketMs = windowMs / buckets;
    this.byBucket = Array.from({ length: kinds }, () => new Uint32Array(buckets));
    this.totals = new Array<number>(kinds).fill(0);
    this.newest = Math.floor(now / this.bucketMs);
  }

  /** One event of `kind` at `now`. */
  add(now: number, kind: number): void {
    this.byBucket[kind][this.slide(now)]++;
    this.totals[kind]++;
  }

  /** Events of `kind` in the window ending at `now`. */
  total(now: number, kind: number): number {
    this.slide(now);
    return this.totals[kind];
  }

  /** Drops the buckets that left the window by `now`; the slot of `now`'s bucket. */
  private slide(now: number): number {
    const current = Math.floor(now / this.bucketMs);
    if (current > this.newest) {
      // Past a whole window every bucket is stale: clear each once, not once per bucket passed.
      const expired = Math.min(current - this.newest, this.buckets);
      for (let step = 1; step <= expired; step++) this.clear(this.slotOf(this.newest + step));
      this.newest = current;
    }
    return this.slotOf(this.newest);
  }

  private clear(slot: number): void {
    this.byBucket.forEach((counts, kind) => {
      this.totals[kind] -= counts[slot];
      counts[slot] = 0;
    });
  }

  /** The slot of bucket number `bucket`, negative numbers (a clock before 0) included. */
  private slotOf(bucket: number): number {
    return ((bucket % this.buckets) + this.buckets) % this.buckets;
  }
}
