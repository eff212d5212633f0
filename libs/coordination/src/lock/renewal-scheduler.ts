import { type LeaseClock, type LeaseTimer, monotonicClock } from './lease-clock.js';

/** Something that renews a lease at `renewAt` (monotonic ms of its scheduler's clock). */
export interface Renewable {
  readonly renewAt: number;
  renewNow(): void;
}

/** Items due within this many ms of a firing are renewed in the same firing. */
export const COALESCE_MS = 5;

/**
 * One timer for every lease in the process instead of one per lease: taking and dropping a
 * lock costs a Set insert and delete, not a timer (which was a measurable part of an
 * uncontended acquire+release). The timer is armed for the earliest `renewAt`; a firing
 * renews what is due and re-arms for the next. A removed item leaves the timer as it is —
 * a firing with nothing due just re-arms or stops. The timer never keeps the process alive.
 */
export class RenewalScheduler {
  private readonly items = new Set<Renewable>();
  private timer: LeaseTimer | undefined;
  private armedFor = Number.POSITIVE_INFINITY;

  constructor(readonly clock: LeaseClock = monotonicClock) {}

  add(item: Renewable): void {
    this.items.add(item);
    if (item.renewAt < this.armedFor) this.arm(item.renewAt);
  }

  delete(item: Renewable): void {
    this.items.delete(item);
  }

  private arm(at: number): void {
    this.clock.clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Number.POSITIVE_INFINITY;
    const horizon = this.clock.now() + COALESCE_MS;
    const due: Renewable[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const item of this.items) {
      if (item.renewAt <= horizon) due.push(item);
      else if (item.renewAt < next) next = item.renewAt;
    }
    for (const item of due) this.items.delete(item);
    if (next < this.armedFor) this.arm(next);
    for (const item of due) item.renewNow();
  }
}

/** The process-wide scheduler of every lease on the default clock. */
export const renewals = new RenewalScheduler();

const schedulers = new WeakMap<LeaseClock, RenewalScheduler>([[monotonicClock, renewals]]);

/** The one scheduler of `clock` (leases on one clock share its timer). */
export function renewalsFor(clock: LeaseClock): RenewalScheduler {
  if (clock === monotonicClock) return renewals;
  let scheduler = schedulers.get(clock);
  if (!scheduler) schedulers.set(clock, (scheduler = new RenewalScheduler(clock)));
  return scheduler;
}
