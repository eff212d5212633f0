/**
 * Runs `fn` now and returns its outcome as a promise: its value (or the promise it returns),
 * or a rejection with what it threw. This is ES2025's `Promise.try`, which Node 22 does not
 * have; it is how a synchronous implementation of a promise-returning interface (the memory
 * backends) keeps "errors are rejections" without an `async` function that never awaits.
 */
export function promiseTry<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  // A throw inside the executor rejects the promise; resolve() adopts a returned promise.
  return new Promise<T>((resolve) => resolve(fn()));
}
