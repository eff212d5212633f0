import { Redis, type RedisOptions } from 'ioredis';
import { once } from 'node:events';

import { LockUnavailableError } from '../../../coordination.errors.js';
import type { LockBackend } from '../../lock-backend.js';

/** Lock keys live under their own prefix; `{…}` keeps a key and its fence counter in one cluster slot. */
export const LOCK_KEY_PREFIX = 'nestmesh:lock:';

// Acquire: SET NX PX, and only if that succeeded, issue the next fencing token for the key.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return false`;
// Extend: compare-and-pexpire.
const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
// Release: compare-and-delete; a lease that is gone is not an error.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

// Raise the fence counter to at least ARGV[1] (quorum mode: see RedlockBackend).
const RAISE_FENCE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

interface LockCommands {
  nestmeshLockAcquire(
    lockKey: string,
    fenceKey: string,
    owner: string,
    ttlMs: number,
  ): Promise<number | null>;
  nestmeshLockExtend(lockKey: string, owner: string, ttlMs: number): Promise<number>;
  nestmeshLockRelease(lockKey: string, owner: string): Promise<number>;
  nestmeshLockRaiseFence(fenceKey: string, atLeast: string): Promise<number>;
}

export interface RedisLockBackendOptions {
  /** `redis://[user:pass@]host:port[/db]`. */
  url: string;
  /** Deadline of each command, in ms. Default 1000: a lock answer later than that is no answer. */
  commandTimeoutMs?: number;
  /** Extra ioredis options. */
  redis?: RedisOptions;
}

/**
 * Locks on one Redis (ioredis). Scripts are loaded with EVALSHA and reloaded by ioredis on
 * NOSCRIPT. Commands never queue while Redis is away: they fail at once (or at their
 * deadline) with LockUnavailableError, so a caller never waits on a lock it cannot get.
 */
export class RedisLockBackend implements LockBackend {
  readonly client: Redis & LockCommands;
  private readonly commandTimeoutMs: number;

  constructor(options: RedisLockBackendOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1000;
    const client = new Redis(options.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: this.commandTimeoutMs,
      lazyConnect: false,
      ...options.redis,
    });
    client.on('error', () => undefined); // surfaced per command as LockUnavailableError
    client.defineCommand('nestmeshLockAcquire', { numberOfKeys: 2, lua: ACQUIRE });
    client.defineCommand('nestmeshLockExtend', { numberOfKeys: 1, lua: EXTEND });
    client.defineCommand('nestmeshLockRelease', { numberOfKeys: 1, lua: RELEASE });
    client.defineCommand('nestmeshLockRaiseFence', { numberOfKeys: 1, lua: RAISE_FENCE });
    this.client = client as Redis & LockCommands;
  }

  /** Waits (up to the command deadline) for a connection that is being made or remade. */
  private async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    if (this.client.status === 'end') throw new Error('the Redis client is closed');
    const timeout = AbortSignal.timeout(this.commandTimeoutMs);
    await once(this.client, 'ready', { signal: timeout }).catch(() => {
      throw new Error(`not connected to Redis (${this.client.status}) within ${this.commandTimeoutMs} ms`);
    });
  }

  private keys(key: string): [string, string] {
    const base = `${LOCK_KEY_PREFIX}{${key}}`;
    return [base, `${base}:fence`];
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<bigint | undefined> {
    const [lockKey, fenceKey] = this.keys(key);
    try {
      if (this.client.status !== 'ready') await this.ready();
      const token = await this.client.nestmeshLockAcquire(lockKey, fenceKey, owner, Math.ceil(ttlMs));
      return token === null ? undefined : BigInt(token);
    } catch (error) {
      throw new LockUnavailableError(key, error);
    }
  }

  async extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    try {
      if (this.client.status !== 'ready') await this.ready();
      return (await this.client.nestmeshLockExtend(this.keys(key)[0], owner, Math.ceil(ttlMs))) === 1;
    } catch (error) {
      throw new LockUnavailableError(key, error);
    }
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      if (this.client.status !== 'ready') await this.ready();
      await this.client.nestmeshLockRelease(this.keys(key)[0], owner);
    } catch (error) {
      throw new LockUnavailableError(key, error);
    }
  }

  /** Raises the key's fence counter to at least `atLeast` (quorum mode). */
  async raiseFence(key: string, atLeast: bigint): Promise<void> {
    try {
      if (this.client.status !== 'ready') await this.ready();
      await this.client.nestmeshLockRaiseFence(this.keys(key)[1], atLeast.toString());
    } catch (error) {
      throw new LockUnavailableError(key, error);
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
