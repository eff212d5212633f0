/**
 * The lock primitive a backend implements: a lease on `key` for `owner`, and a monotonic
 * fencing token per key. Leases, renewal and signals are built on it by LockService.
 */
export interface LockBackend {
  /**
   * Takes `key` for `owner` for `ttlMs` if nobody holds it; resolves to the fencing token
   * (strictly greater than every token issued before for `key`), or undefined when held.
   * Throws LockUnavailableError when the backend cannot answer.
   */
  acquire(key: string, owner: string, ttlMs: number): Promise<bigint | undefined>;
  /** Resets the lease to `ttlMs` if `owner` still holds it; false when it does not. */
  extend(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Drops the lease if `owner` holds it. A lease that already expired counts as released. */
  release(key: string, owner: string): Promise<void>;
  /**
   * Optional, for a backend with a fair queue per key (ZooKeeper): takes a place in `key`'s
   * queue and waits, without polling, until it is first (the grant), `waitMs` passed
   * (undefined; `Infinity` waits for ever) or `signal` aborts (rejects with its reason).
   * However it ends without a grant, the place is given up: nothing is left to block others.
   * `confirmedAt` is when, on `now`'s clock, the request that proved the grant was sent: the
   * lease runs from there, not from the start of the wait. Throws LockUnavailableError when the
   * backend cannot answer. LockService.acquire (waitMs > 0) and elections use it when present.
   */
  acquireQueued?(
    key: string,
    owner: string,
    ttlMs: number,
    options: { waitMs: number; signal?: AbortSignal; now: () => number },
  ): Promise<{ token: bigint; confirmedAt: number } | undefined>;
}

/** A lock backend that can say who holds a key: what lease-based leader election runs on. */
export interface LeaseBackend extends LockBackend {
  /**
   * The current holder of `key` and the token it was issued, or undefined when free; `since`,
   * when the backend recorded it (recordLeadership), is when that holder started leading.
   */
  holder(key: string): Promise<{ owner: string; token: bigint; since?: Date } | undefined>;
  /**
   * Optional: records `since` (wall clock) as the start of the leadership that `token` carries
   * on `key`, for holder() to report; a no-op once a newer token was issued. Elections call it
   * when a candidate wins; locks never do, so the lock path does not pay for it.
   */
  recordLeadership?(key: string, token: bigint, since: Date): Promise<void>;
  /**
   * Optional: resolves when `key` may be free (released, or its lease ran out), after `maxMs`
   * at the latest, or when `signal` aborts; never rejects. Followers wait on it instead of
   * sleeping a whole retry interval, so a resign or an expiry is noticed at once.
   */
  waitForRelease?(key: string, maxMs: number, signal?: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/** Injection token for the configured {@link LockBackend}. */
export const LockBackend = Symbol.for('nestmesh.coordination.LockBackend');
