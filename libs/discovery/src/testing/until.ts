import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `probe` until it is true, failing after `timeoutMs` with what was awaited. */
export async function until(
  probe: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // the registry may be coming back; keep polling until the deadline
    }
    if (performance.now() > deadline)
      throw new Error(`discovery contract: no ${what} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** `promise`'s outcome if it settles within `ms`, else `'pending'`; the timer never outlives it. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
): Promise<{ value: T } | { error: unknown } | 'pending'> {
  const timeout = new AbortController();
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const pending = sleep(ms, 'pending' as const, { signal: timeout.signal }).catch(() => 'pending' as const);
  try {
    return await Promise.race([outcome, pending]);
  } finally {
    timeout.abort();
  }
}
