import { promiseTry } from '@nestmesh/common';

import type { LeaseBackend } from '../../lock-backend.js';
import { ReleaseWaiters } from '../../release-waiters.js';

/** A key's lease as inspection sees it (see MemoryLockBackend.state). */
export interface MemoryLeaseState {
  /** The highest token issued for the key. */
  readonly lastToken: bigint;
  /** The live lease, if any: its owner, token (the last issued), ms left and leadership start. */
  readonly holder?: { owner: string; token: bigint; remainingMs: number; since?: Date };
}

interface Lease {
  owner: string;
  expiresAt: number;
  /** Wall-clock start of the leadership this lease carries (elections; see recordLeadership). */
  since?: Date;
}

/**
 * Every listed MemoryLockBackend of this process, for lock inspection (`memory://`). Weak
 * references: a backend nobody uses any more is still collected, and then drops out.
 */
const listedBackends = new Set<WeakRef<MemoryLockBackend>>();
const unlistCollected = new FinalizationRegistry<WeakRef<MemoryLockBackend>>((reference) =>
  listedBackends.delete(reference),
);

/** The listed memory lock backends of this process that are neither closed nor collected. */
export function listedMemoryLockBackends(): MemoryLockBackend[] {
  return [...listedBackends].flatMap((reference) => reference.deref() ?? []);
}

/**
 * The embedded lock backend: leases in this process's memory, on the monotonic clock. Each
 * operation runs synchronously, hence atomically, and answers with a promise (promiseTry).
 */
export class MemoryLockBackend implements LeaseBackend {
  private readonly leases = new Map<string, Lease>();
  private readonly fences = new Map<string, bigint>();
  private readonly releaseWaiters = new ReleaseWaiters();
  private readonly listing: WeakRef<MemoryLockBackend> | undefined;

  /**
   * `listed` (default true): lock inspection (`createLockInspector('memory://')`) shows this
   * backend's locks until it is closed. The election lease table is not listed: its leases are
   * leaderships, shown by election inspection.
   */
  constructor({ listed = true }: { listed?: boolean } = {}) {
    if (listed) {
      this.listing = new WeakRef(this);
      listedBackends.add(this.listing);
      unlistCollected.register(this, this.listing, this);
    }
  }

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

  /** Who holds `key`, the token they were issued and since when they lead (if recorded), or undefined. */
  holder(key: string): Promise<{ owner: string; token: bigint; since?: Date } | undefined> {
    return promiseTry(() => {
      const holder = this.state(key)?.holder;
      if (!holder) return undefined;
      const { owner, token, since } = holder;
      return since ? { owner, token, since } : { owner, token };
    });
  }

  /** Notes when the holder of `token` on `key` started leading; ignored once a newer token was issued. */
  recordLeadership(key: string, token: bigint, since: Date): Promise<void> {
    return promiseTry(() => {
      const lease = this.leases.get(key);
      if (lease && this.fences.get(key) === token) lease.since = since;
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

  /** Every key a token was ever issued for, in no order. */
  keys(): string[] {
    return [...this.fences.keys()];
  }

  /** What inspection reads of `key` (a read, synchronous: it changes nothing), or undefined if never taken. */
  state(key: string): MemoryLeaseState | undefined {
    const lastToken = this.fences.get(key);
    if (lastToken === undefined) return undefined;
    const lease = this.leases.get(key);
    const remainingMs = lease ? Math.ceil(lease.expiresAt - performance.now()) : 0;
    if (!lease || remainingMs <= 0) return { lastToken };
    return { lastToken, holder: { owner: lease.owner, token: lastToken, remainingMs, since: lease.since } };
  }

  /** Leaves the inspection listing; the leases stay usable (there is nothing else to free). */
  close(): Promise<void> {
    if (this.listing) {
      listedBackends.delete(this.listing);
      unlistCollected.unregister(this);
    }
    return Promise.resolve();
  }
}
