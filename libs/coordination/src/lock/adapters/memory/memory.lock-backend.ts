import { promiseTry } from '@nestmesh/common';

import type { LockBackend } from '../../lock-backend.js';
import { ReleaseWaiters } from '../../release-waiters.js';

/**
 * The embedded lock backend: leases in this process's memory, on the monotonic clock. Each
 * operation runs synchronously, hence atomically, and answers with a promise (promiseTry).
 */
export class MemoryLockBackend implements LockBackend {
  private readonly leases = new Map<string, { owner: string; expiresAt: number }>();
  private readonly fences = new Map<string, bigint>();
  private readonly releaseWaiters = new ReleaseWaiters();

  acquire(key: string, owner: string, ttlMs: number): Promise<bigint | undefined> {
    return promiseTry(() => {
      const lease = this.leases.get(key);
      if (lease && lease.expiresAt > performance.now()) return undefined;
      this.leases.set(key, { owner, expiresAt: performance.now() + ttlMs });
      const token = (this.fences.get(key) ?? 0n) + 1n;
      this.fences.set(key, token);
      return token;
    });
  }

  extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return promiseTry(() => {
      const lease = this.leases.get(key);
      if (!lease || lease.owner !== owner || lease.expiresAt <= performance.now()) return false;
      lease.expiresAt = performance.now() + ttlMs;
      return true;
    });
  }

  release(key: string, owner: string): Promise<void> {
    return promiseTry(() => {
      if (this.leases.get(key)?.owner !== owner) return;
      this.leases.delete(key);
      this.releaseWaiters.wake(key);
    });
  }

  /** Who holds `key` and the token they were issued, or undefined. */
  holder(key: string): Promise<{ owner: string; token: bigint } | undefined> {
    return promiseTry(() => {
      const lease = this.leases.get(key);
      if (!lease || lease.expiresAt <= performance.now()) return undefined;
      return { owner: lease.owner, token: this.fences.get(key)! };
    });
  }

  /** Resolves when `key` is released or its lease runs out, after `maxMs`, or on abort. */
  async waitForRelease(key: string, maxMs: number, signal?: AbortSignal): Promise<void> {
    await this.releaseWaiters.wait(key, signal, () => {
      const lease = this.leases.get(key);
      const left = lease ? lease.expiresAt - performance.now() : 0;
      return left <= 0 ? undefined : Math.min(maxMs, left + 1);
    });
  }
}
