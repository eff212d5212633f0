// A clock that a test moves by hand; it fits any { now, setTimeout, clearTimeout } whose timers
// are opaque objects (@nestmesh/coordination's LeaseClock, the loadgen's Clock). Time stands
// still until `advance` (timers fire in order, each at its own time, with promises settled
// after each) or `stall` (time jumps and no timer runs — what a paused or starved process sees
// when it wakes up).
import { setImmediate as turn } from 'node:timers/promises';

interface Timer {
  at: number;
  order: number;
  fn: () => void;
}

export class ManualClock {
  private time = 1_000; // not 0, so that "unset" (0) and "now" differ
  private created = 0;
  private readonly timers = new Set<Timer>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): object {
    const timer: Timer = { at: this.time + Math.max(0, ms), order: this.created++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(timer: object | undefined): void {
    if (timer) this.timers.delete(timer as Timer);
  }

  /** Timers armed and not yet fired or cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** When the earliest armed timer fires, or undefined. */
  get nextAt(): number | undefined {
    return this.earliest()?.at;
  }

  /** Moves time forward by `ms`, firing each timer due on the way at its time. */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (let timer = this.earliest(); timer && timer.at <= until; timer = this.earliest()) {
      this.timers.delete(timer);
      this.time = Math.max(this.time, timer.at);
      timer.fn();
      await settle();
    }
    this.time = until;
    await settle();
  }

  /** Moves time forward by `ms` without running any timer: a stall. */
  stall(ms: number): void {
    this.time += ms;
  }

  private earliest(): Timer | undefined {
    let first: Timer | undefined;
    for (const timer of this.timers)
      if (!first || timer.at < first.at || (timer.at === first.at && timer.order < first.order))
        first = timer;
    return first;
  }
}

/** Lets promise chains started by a timer (a renewal's backend call, a request) run to their end. */
export async function settle(): Promise<void> {
  await turn();
  await turn();
}
