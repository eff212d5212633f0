/**
 * `promise`, or a rejection with the signal's reason as soon as it aborts (the work behind
 * `promise` goes on unobserved; use this only for reads whose result may be dropped).
 */
export async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
    // The dropped read may still fail later; that failure is no one's to report.
    void promise.catch(() => undefined);
  }
}
