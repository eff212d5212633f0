import type { LockBackend } from '../../lock-backend.js';

/** The embedded lock backend: leases in this process's memory, on the monotonic clock. */
export class MemoryLockBackend implements LockBackend {
  private readonly leases = new Map<string, { owner: string; expiresAt: number }>();
  private readonly fences = new Map<string, bigint>();

  async acquire(key: string, owner: string, ttlMs: number): Promise<bigint | undefined> {
    const lease = this.leases.get(key);
    if (lease && lease.expiresAt > performance.now()) return undefined;
    this.leases.set(key, { owner, expiresAt: performance.now() + ttlMs });
    const token = (this.fences.get(key) ?? 0n) + 1n;
    this.fences.set(key, token);
    return token;
  }

  async extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const lease = this.leases.get(key);
    if (!lease || lease.owner !== owner || lease.expiresAt <= performance.now()) return false;
    lease.expiresAt = performance.now() + ttlMs;
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.leases.get(key)?.owner === owner) this.leases.delete(key);
  }
}
