import type { SheddingClock } from './shedding.options.js';

/**
 * Successful calls over a rolling window cut into buckets: how many ended in each bucket and
 * the fastest of them. Its {@link limit} is the BBR estimate of how many calls the server
 * holds without queueing: the best throughput seen (calls per ms, from the busiest bucket)
 * times the lowest latency seen (ms) — Little's law at the server's best. Calls in flight
 * beyond it are waiting, not being served. Only finished buckets count: the current one is
 * still filling (as kratos does).
 */
export class ThroughputWindow {
  private readonly bucketMs: number;
  private readonly passes: number[];
  private readonly fastestMs: number[];
  /** The absolute bucket number (time ÷ bucketMs) each slot holds, -1 for never used. */
  private readonly slotBucket: number[];
  private cached = { bucket: -1, limit: undefined as number | undefined };

  constructor(
    windowMs: number,
    private readonly buckets: number,
    private readonly clock: SheddingClock,
  ) {
    this.bucketMs = windowMs / buckets;
    this.passes = new Array<number>(buckets).fill(0);
    this.fastestMs = new Array<number>(buckets).fill(Infinity);
    this.slotBucket = new Array<number>(buckets).fill(-1);
  }

  /** A successful call that took `latencyMs` has just ended. */
  record(latencyMs: number): void {
    const bucket = this.bucketNow();
    const slot = bucket % this.buckets;
    if (this.slotBucket[slot] !== bucket) {
      this.slotBucket[slot] = bucket;
      this.passes[slot] = 0;
      this.fastestMs[slot] = Infinity;
    }
    this.passes[slot]++;
    if (latencyMs < this.fastestMs[slot]) this.fastestMs[slot] = latencyMs;
  }

  /**
   * Calls in flight the server serves without queueing (≥ 1), or `undefined` while no finished
   * bucket of the window has a call: with nothing measured there is nothing to shed against.
   * Computed once per bucket: it only changes when a bucket finishes.
   */
  limit(): number | undefined {
    const current = this.bucketNow();
    if (this.cached.bucket === current) return this.cached.limit;
    let mostPasses = 0;
    let fastestMs = Infinity;
    for (let slot = 0; slot < this.buckets; slot++) {
      const bucket = this.slotBucket[slot];
      if (bucket < 0 || bucket >= current || bucket <= current - this.buckets) continue;
      mostPasses = Math.max(mostPasses, this.passes[slot]);
      fastestMs = Math.min(fastestMs, this.fastestMs[slot]);
    }
    const limit =
      mostPasses === 0 ? undefined : Math.max(1, Math.ceil((mostPasses / this.bucketMs) * fastestMs));
    this.cached = { bucket: current, limit };
    return limit;
  }

  private bucketNow(): number {
    return Math.floor(this.clock.now() / this.bucketMs);
  }
}
