/** A one-shot timer handle of a {@link LeaseClock}; opaque to its users. */
export type LeaseTimer = object;

/**
 * Monotonic time and one-shot timers: what lease timing (renewals, renew deadlines, max hold)
 * reads instead of `performance.now()` and `setTimeout`, so that a test can drive it exactly
 * instead of sleeping and counting. The default is {@link monotonicClock}.
 */
export interface LeaseClock {
  /** Monotonic milliseconds (never the wall clock). */
  now(): number;
  /** Calls `fn` once, `ms` from now. The timer never keeps the process alive. */
  setTimeout(fn: () => void, ms: number): LeaseTimer;
  /** Cancels a timer; undefined, or one that already fired, is ignored. */
  clearTimeout(timer: LeaseTimer | undefined): void;
}

/** Injection token for the {@link LeaseClock} LockService uses (optional; default monotonicClock). */
export const LeaseClock = Symbol.for('nestmesh.coordination.LeaseClock');

/** `performance.now()` and unref'd `setTimeout`: the clock of every lease unless a test gives one. */
export const monotonicClock: LeaseClock = Object.freeze({
  now: () => performance.now(),
  setTimeout: (fn: () => void, ms: number): LeaseTimer => setTimeout(fn, ms).unref(),
  clearTimeout: (timer: LeaseTimer | undefined): void => clearTimeout(timer as NodeJS.Timeout | undefined),
});
