import { performance, type EventLoopUtilization } from 'node:perf_hooks';

import type { SheddingClock } from './shedding.options.js';

/**
 * How busy the event loop has been lately: the share of time (0..1) it spent running code
 * rather than waiting for I/O. A Node server's CPU is its one loop, so this is what go-zero
 * and kratos read as CPU usage.
 */
export interface EventLoopLoad {
  utilization(): number;
}

type ReadUtilization = () => EventLoopUtilization;

/** Snapshots taken at most this often (ms): kratos and go-zero sample CPU every 250 ms. */
const SAMPLE_INTERVAL_MS = 250;

/**
 * `performance.eventLoopUtilization()` averaged since the newest snapshot at least `windowMs`
 * old. No timer: a snapshot is taken when asked and the last one is older than 250 ms, so an
 * idle server does no work, and its first question after a quiet spell averages over the
 * whole spell (low). Counted from construction: the startup's blocking work is not in it.
 */
export class EventLoopUtilizationWindow implements EventLoopLoad {
  private readonly snapshots: { atMs: number; reading: EventLoopUtilization }[] = [];
  private latest = 0;

  constructor(
    private readonly windowMs: number,
    private readonly clock: SheddingClock = performance,
    private readonly read: ReadUtilization = () => performance.eventLoopUtilization(),
  ) {
    this.snapshots.push({ atMs: clock.now(), reading: read() });
  }

  utilization(): number {
    const nowMs = this.clock.now();
    const newest = this.snapshots[this.snapshots.length - 1];
    if (nowMs - newest.atMs < SAMPLE_INTERVAL_MS) return this.latest;
    const reading = this.read();
    this.snapshots.push({ atMs: nowMs, reading });
    // Keep the newest snapshot at least windowMs old as the base of the average.
    while (this.snapshots.length > 2 && nowMs - this.snapshots[1].atMs >= this.windowMs)
      this.snapshots.shift();
    const base = this.snapshots[0].reading;
    const active = reading.active - base.active;
    const total = active + reading.idle - base.idle;
    this.latest = total > 0 ? active / total : 0;
    return this.latest;
  }
}
