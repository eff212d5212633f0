import { Backoff, type BackoffOptions } from '@nestmesh/common';
import { setTimeout as sleep } from 'node:timers/promises';

import { WATCH_RETRY_BACKOFF } from './discovery.constants.js';
import type { Discovery } from './discovery.js';
import { instanceListKey } from './instance-list.js';
import type { ServiceInstance } from './service-instance.js';

export interface WatchWithRetryOptions {
  /** Ends the loop (at once, without an error). */
  signal?: AbortSignal;
  /** Told of every failed watch, with the delay before the next one (ms). Default: nothing. */
  onError?: (error: unknown, retryInMs: number) => void;
  /** Delays between watches; default 100 ms doubling to 2 s, jittered. */
  backoff?: BackoffOptions;
}

/**
 * `discovery.watch(name)` that survives registry outages: when a watch throws, the last list
 * stands (nothing is yielded), `onError` is told, and a new watch starts after a jittered
 * backoff; its first list is yielded only if it differs from the last one. It resumes by
 * itself when the registry is back. Ends when the signal aborts, the consumer breaks out, or a
 * watch ends without an error (the backend was closed).
 *
 * The backoff starts over only after a watch has lived at least `backoff.maxMs`, so a registry
 * that answers the first query and then fails every time is not retried in a tight loop.
 */
export async function* watchWithRetry(
  discovery: Discovery,
  name: string,
  { signal, onError, backoff: backoffOptions = WATCH_RETRY_BACKOFF }: WatchWithRetryOptions = {},
): AsyncGenerator<ServiceInstance[]> {
  const backoff = new Backoff(backoffOptions);
  let lastKey: string | undefined;
  while (!signal?.aborted) {
    const startedAt = performance.now();
    try {
      for await (const instances of discovery.watch(name, { signal })) {
        const key = instanceListKey(instances);
        if (key === lastKey) continue;
        lastKey = key;
        yield instances;
      }
      return; // ended without an error: aborted, or the backend was closed
    } catch (error) {
      if (signal?.aborted) return;
      if (performance.now() - startedAt >= backoffOptions.maxMs) backoff.reset();
      const delayMs = backoff.next();
      onError?.(error, delayMs);
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
