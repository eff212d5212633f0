/**
 * A single-slot channel: `publish` replaces the pending value, `next` takes it. Watches are
 * built on it so a slow consumer always gets the newest instance list, never a queue of
 * stale ones, and memory stays bounded whatever the rate of change.
 */
export class LatestValueChannel<T> {
  private pending: { value: T } | undefined;
  private waiter: ((result: IteratorResult<T>) => void) | undefined;
  private closed = false;

  publish(value: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = undefined;
      resolve({ value, done: false });
    } else {
      this.pending = { value };
    }
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
    this.waiter?.({ value: undefined, done: true });
    this.waiter = undefined;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.pending) {
      const { value } = this.pending;
      this.pending = undefined;
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiter = resolve));
  }
}
