import type { Clock, ClockTimer } from './clock.js';

/**
 * Ticks at a fixed rate on a schedule anchored at `start()`: tick n is due at
 * start + n × (1000 / ratePerSecond) ms, so timer lateness does not drift the rate. After a stall
 * (a paused process, a blocked event loop) it does not catch up in a burst: of the ticks that
 * fell due while it could not run, only the latest one runs and the others are reported to
 * `onMissed` and dropped.
 */
export class FixedRatePacer {
  private readonly intervalMs: number;
  private timer: ClockTimer | undefined;
  private startedAt = 0;
  /** Index of the next tick to run; tick 0 is due at start. */
  private nextTick = 0;
  private running = false;

  constructor(
    ratePerSecond: number,
    private readonly clock: Clock,
    private readonly onTick: () => void,
    private readonly onMissed: (ticks: number) => void = () => undefined,
    /** False: the first tick is one interval after start (a report has nothing to say at start). */
    private readonly tickAtStart = true,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`a pacer's rate must be a positive number, got ${ratePerSecond}`);
    }
    this.intervalMs = 1000 / ratePerSecond;
  }

  /** Runs the first tick now (or one interval from now), then one every interval until `stop()`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.clock.now();
    this.nextTick = this.tickAtStart ? 0 : 1;
    this.fire();
  }

  /** No tick runs after this; idempotent. */
  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    if (!this.running) return;
    // The small slack absorbs float error in start + n × interval (1000/3 is not exact).
    const latestDue = Math.floor((this.clock.now() - this.startedAt) / this.intervalMs + 1e-9);
    if (latestDue >= this.nextTick) {
      const missed = latestDue - this.nextTick;
      this.nextTick = latestDue + 1;
      if (missed > 0) this.onMissed(missed);
      this.onTick();
    }
    // onTick may have stopped the pacer.
    if (!this.running) return;
    const nextAt = this.startedAt + this.nextTick * this.intervalMs;
    this.timer = this.clock.setTimeout(this.fire, Math.max(0, Math.ceil(nextAt - this.clock.now())));
  };
}
