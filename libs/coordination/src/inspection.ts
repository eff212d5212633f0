import { redactUrl, type BackendUrl } from '@nestmesh/common';

import { agreedTimeoutMs } from './backend-timeout.js';

/** Deadline of an inspection request (and of connecting), in ms, unless the URL's `?timeout=` says. */
export const DEFAULT_INSPECTION_TIMEOUT_MS = 2000;

/** An inspector's deadline per read: the URLs' agreed `?timeout=`, else DEFAULT_INSPECTION_TIMEOUT_MS. */
export function inspectionTimeoutMs(urls: readonly BackendUrl[]): number {
  return agreedTimeoutMs(urls, { name: 'timeout', value: undefined }) ?? DEFAULT_INSPECTION_TIMEOUT_MS;
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts (the listener is removed either way). */
export async function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  // Abandoned on abort, its late failure (a closed client) must not be an unhandled rejection.
  promise.catch(() => undefined);
  signal.throwIfAborted();
  let onAbort = (): void => undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        onAbort = () => reject(signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** An error's message, without a password even if it carried a URL. */
export function errorText(error: unknown): string {
  return redactUrl(error instanceof Error ? error.message : String(error));
}

/** What a failed read says, naming the backend by its redacted URL. */
export function failureText(url: string, error: unknown): string {
  return `${redactUrl(url)}: ${errorText(error)}`;
}
