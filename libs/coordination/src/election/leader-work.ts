import { setTimeout as sleep } from 'node:timers/promises';

/** Waits for `work` up to `ms`; true if it settled (either way) in time. */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const timeout = sleep(ms, false, { signal: timer.signal }).catch(() => false);
  const settled = work.then(
    () => true,
    () => true,
  );
  const inTime = await Promise.race([settled, timeout]);
  timer.abort();
  return inTime;
}

/** Leader work in flight (leader-only calls, elected hooks), so that shutdown can wait for it. */
export class LeaderWork {
  private readonly running = new Set<Promise<unknown>>();

  get size(): number {
    return this.running.size;
  }

  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const forget = () => void this.running.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Waits until nothing runs (work tracked meanwhile included); false when `ms` ran out first. */
  async drain(ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.running.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0 || !(await settledWithin(Promise.allSettled(this.running), left))) return false;
    }
    return true;
  }
}
