/**
 * Callers waiting for a lock key to be released, for the backends' `waitForRelease`. A wait
 * ends on `wake(key)`, when its signal aborts, or after the time its `plan` returned.
 */
export class ReleaseWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Ends every wait on `key`. */
  wake(key: string): void {
    for (const wake of this.waiting.get(key) ?? []) wake();
  }

  /**
   * Waits on `key`. `plan` runs once the wait is registered, so a wake during it is not lost;
   * it returns how long to wait at most, in ms, or undefined to return at once. Never rejects.
   */
  async wait(
    key: string,
    signal: AbortSignal | undefined,
    plan: () => Promise<number | undefined> | number | undefined,
  ): Promise<void> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const waiters = this.waiting.get(key) ?? new Set();
    this.waiting.set(key, waiters);
    waiters.add(wake);
    let timer: NodeJS.Timeout | undefined;
    signal?.addEventListener('abort', wake, { once: true });
    try {
      const waitMs = await plan();
      if (waitMs === undefined || signal?.aborted) return;
      timer = setTimeout(wake, waitMs);
      await woken;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      waiters.delete(wake);
      if (waiters.size === 0) this.waiting.delete(key);
    }
  }
}
