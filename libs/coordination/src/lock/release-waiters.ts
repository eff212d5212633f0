/**
 * Callers waiting for a lock key to be released, for the backends' `waitForRelease`. A wait
 * ends on `wake(key)`, `wakeAll()` (the backend closes), when its signal aborts, or after the
 * time its `plan` returned; however it ends, the timer it armed is cleared.
 */
export class ReleaseWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Ends every wait on `key`. */
  wake(key: string): void {
    for (const wake of this.waiting.get(key) ?? []) wake();
  }

  /** Ends every wait (the backend is closing). */
  wakeAll(): void {
    for (const waiters of this.waiting.values()) for (const wake of waiters) wake();
  }

  /**
   * Waits on `key`. `plan` runs once the wait is registered, so a wake during it is not lost;
   * it returns how long to wait at most, in ms, or undefined to return at once. `plan` gets a
   * signal that aborts when the wait ends, so that what it arms can be disarmed; a wait that
   * ends while `plan` runs returns without waiting for it. Never rejects.
   */
  async wait(
    key: string,
    signal: AbortSignal | undefined,
    plan: (ended: AbortSignal) => Promise<number | undefined> | number | undefined,
  ): Promise<void> {
    const ended = new AbortController();
    const woken = new Promise<void>((resolve) => ended.signal.addEventListener('abort', () => resolve()));
    const wake = (): void => ended.abort();
    const waiters = this.waiting.get(key) ?? new Set();
    this.waiting.set(key, waiters);
    waiters.add(wake);
    let timer: NodeJS.Timeout | undefined;
    signal?.addEventListener('abort', wake, { once: true });
    try {
      if (signal?.aborted) return;
      const planned = Promise.resolve()
        .then(() => plan(ended.signal))
        .catch(() => undefined);
      const waitMs = await Promise.race([planned, woken.then(() => undefined)]);
      if (waitMs === undefined || ended.signal.aborted) return;
      timer = setTimeout(wake, waitMs);
      await woken;
    } finally {
      clearTimeout(timer);
      wake();
      signal?.removeEventListener('abort', wake);
      waiters.delete(wake);
      if (waiters.size === 0) this.waiting.delete(key);
    }
  }
}
