/** A one-shot timer handle of a {@link Clock}; opaque to its users. */
export type ClockTimer = object;

/**
 * Monotonic time and one-shot timers: what the pacing, the request timeouts and the report
 * interval read instead of `performance.now()` and `setTimeout`, so that a test drives them
 * exactly (test-fixtures/manual-clock.ts) instead of sleeping and counting.
 */
export interface Clock {
  /** Monotonic milliseconds (never the wall clock). */
  now(): number;
  /** Calls `fn` once, `ms` from now. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Cancels a timer; undefined, or one that already fired, is ignored. */
  clearTimeout(timer: ClockTimer | undefined): void;
}

/**
 * `performance.now()` and `setTimeout`. The timers are not unref'd: the schedule is what keeps
 * the load generator's process alive until it is stopped.
 */
export const monotonicClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (fn: () => void, ms: number): ClockTimer => setTimeout(fn, ms),
  clearTimeout: (timer: ClockTimer | undefined): void => clearTimeout(timer as NodeJS.Timeout | undefined),
});
