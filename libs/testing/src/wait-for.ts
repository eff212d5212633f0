import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitForOptions {
  /** How long to keep polling before failing, in ms. Default 5000. */
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
 * waits for a condition instead of sleeping for a guessed time.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 10, description = 'condition', signal }: WaitForOptions = {},
): Promise<Exclude<T, false | undefined>> {
  const deadline = performance.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await probe();
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
    await sleep(intervalMs, undefined, { signal });
  }
}
