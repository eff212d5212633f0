import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /**
   * How long to keep polling before failing, in ms. Default 15 000: a bound for a loaded machine,
   * not a claim about speed. Where the time itself is what a test asserts, pass it, derived from
   * the settings under test.
   */
  timeoutMs?: number;
  /** Pause between polls, in ms. Default 10. */
  intervalMs?: number;
  /** What the failure message says was awaited. */
  description?: string;
  /** Aborting stops the poll and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Polls `probe` until it returns a value other than `undefined`/`false` (or stops throwing)
 * and returns that value. Fails after `timeoutMs` with the last error it saw, so a test
 * waits for a condition instead of sleeping for a guessed time; a probe that never settles
 * (a request to a hung server) fails it at the deadline too.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 15_000, intervalMs = 10, description = 'condition', signal }: WaitForOptions = {},
): Promise<Exclude<T, false | undefined>> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await beforeDeadline(probe(), deadline);
      if (value !== undefined && value !== false) return value as Exclude<T, false | undefined>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`testing: timed out after ${timeoutMs} ms waiting for ${description}${cause}`, {
        cause: lastError,
      });
    }
    try {
      await sleep(intervalMs, undefined, { signal });
    } catch (error) {
      signal?.throwIfAborted(); // the signal's own reason, not the timer's AbortError
      throw error;
    }
  }
}

/** `value`, or an error once `deadline` (a performance.now() time) has passed. */
async function beforeDeadline<T>(value: T | Promise<T>, deadline: number): Promise<T> {
  if (!(value instanceof Promise)) return value;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error('the last probe did not settle in time')),
      Math.max(0, deadline - performance.now()),
    );
  });
  try {
    return await Promise.race([value, late]);
  } finally {
    clearTimeout(timer);
  }
}
