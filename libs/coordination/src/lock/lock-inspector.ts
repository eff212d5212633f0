import { BackendRegistry } from '@nestmesh/common';

import { InvalidLockOptionsError } from '../coordination.errors.js';
import { registerMemoryLockInspector } from './adapters/memory/memory.scheme.js';
import { registerRedisClusterLockInspector } from './adapters/redis/redis-cluster.scheme.js';
import { registerRedisLockInspectors } from './adapters/redis/redis.scheme.js';
import { registerRedisSentinelLockInspectors } from './adapters/redis/redis-sentinel.scheme.js';

/** A lock someone holds now. */
export interface HeldLock {
  /** The key given to LockService (no prefix, no braces). */
  readonly key: string;
  readonly owner: string;
  /** The token the current holder was issued. */
  readonly fencingToken: bigint;
  /** Lease left, in ms, as the backend says (PTTL); Infinity for a key set without expiry by hand. */
  readonly remainingMs: number;
}

/**
 * A read-only view of a lock backend, for operator tools (`nestmesh locks`, the mesh
 * dashboard): it never takes, extends or releases anything.
 */
export interface LockInspector {
  /**
   * Held locks whose key starts with `prefix` (all when omitted), sorted by key. Rejects with
   * LockUnavailableError when the backend cannot answer; aborting `signal` rejects with its
   * reason at once.
   */
  heldLocks(prefix?: string, options?: { signal?: AbortSignal }): Promise<HeldLock[]>;
  /** Frees its connections. */
  close(): Promise<void>;
}

/**
 * Lock URL scheme → inspector, as {@link lockBackends} maps schemes to backends: `memory://`,
 * `redis://` / `rediss://` (one URL, or ≥ 3 for Redlock) are built in; a third-party lock
 * scheme may register its own.
 */
export const lockInspectors = new BackendRegistry<Record<string, never>, LockInspector>(
  'lock',
  (message) => new InvalidLockOptionsError('url', `is unusable: ${message}`),
);
/** The type of {@link lockInspectors}, for a scheme's registration function. */
export type LockInspectors = typeof lockInspectors;
registerMemoryLockInspector(lockInspectors);
registerRedisLockInspectors(lockInspectors);
registerRedisSentinelLockInspectors(lockInspectors);
registerRedisClusterLockInspector(lockInspectors);

/**
 * An inspector of the locks `url` names: `memory://` (every memory lock backend of this
 * process), `redis[s]://host:6379[/db][?timeout=<ms>]` (one Redis), or ≥ 3 such URLs (Redlock
 * nodes: a lock is listed when a majority holds it for the same owner, remainingMs the least,
 * the token the highest). It does not connect until asked; an unknown scheme or a malformed
 * URL is InvalidLockOptionsError.
 */
export function createLockInspector(url: string): Promise<LockInspector> {
  return lockInspectors.create(url, {});
}

/** Sorts by key (then owner: several memory backends may hold one key). */
export function byKey(held: HeldLock[]): HeldLock[] {
  return held.sort((a, b) => compare(a.key, b.key) || compare(a.owner, b.owner));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
