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
}

/** Injection token for the configured {@link LockBackend}. */
export const LockBackend = Symbol.for('nestmesh.coordination.LockBackend');
