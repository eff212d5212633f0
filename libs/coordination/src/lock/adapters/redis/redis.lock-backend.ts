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
  /**
   * Deadline of each command, in ms. Default 1000: a lock answer later than that is no answer;
   * the connection is then remade (see checkDeadline).
   */
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
  /** Commands sent and not yet answered: id → when sent (monotonic ms), oldest first. */
  private readonly inFlight = new Map<number, number>();
  private nextCommandId = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  constructor(options: RedisLockBackendOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1000;
    const client = new Redis(options.url, {
      enableOfflineQueue: false,
      // With no retries, a dropped connection rejects every command in flight at once.
      maxRetriesPerRequest: 0,
      // The command deadline is the watchdog below, not ioredis' commandTimeout: that one
      // arms a timer per command, which cost ~5 % of an uncontended acquire+release.
      disconnectTimeout: 50,
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
  private ready(): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    if (this.client.status === 'end') return Promise.reject(new Error('the Redis client is closed'));
    // One wait shared by every command that arrives meanwhile (not a listener each).
    this.connecting ??= once(this.client, 'ready', { signal: AbortSignal.timeout(this.commandTimeoutMs) })
      .then(
        () => undefined,
        () => {
          throw new Error(
            `not connected to Redis (${this.client.status}) within ${this.commandTimeoutMs} ms`,
          );
        },
      )
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private lockKey(key: string): string {
    return `${LOCK_KEY_PREFIX}{${key}}`;
  }

  private fenceKey(key: string): string {
    return `${LOCK_KEY_PREFIX}{${key}}:fence`;
  }

  async acquire(key: string, owner: string, ttlMs: number): Promise<bigint | undefined> {
    try {
      if (this.client.status !== 'ready') await this.ready();
      const id = this.sent();
      try {
        const token = await this.client.nestmeshLockAcquire(
          this.lockKey(key),
          this.fenceKey(key),
          owner,
          Math.ceil(ttlMs),
        );
        return token === null ? undefined : BigInt(token);
      } finally {
        this.inFlight.delete(id);
      }
    } catch (error) {
      throw new LockUnavailableError(key, error);
    }
  }

  async extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    try {
      if (this.client.status !== 'ready') await this.ready();
      const id = this.sent();
      try {
        return (await this.client.nestmeshLockExtend(this.lockKey(key), owner, Math.ceil(ttlMs))) === 1;
      } finally {
        this.inFlight.delete(id);
      }
    } catch (error) {
      throw new LockUnavailableError(key, error);
    }
  }

  async release(key: string, owner: string): Promise<void> {
    try {
      if (this.client.status !== 'ready') await this.ready();
      const id = this.sent();
      try {
        await this.client.nestmeshLockRelease(this.lockKey(key), owner);
      } finally {
        this.inFlight.delete(id);
      }
    } catch (error) {
      throw new LockUnavailableError(key, error);
    }
  }

  /** Raises the key's fence counter to at least `atLeast` (quorum mode). */
  async raiseFence(key: string, atLeast: bigint): Promise<void> {
    try {
      if (this.client.status !== 'ready') await this.ready();
      const id = this.sent();
      try {
        await this.client.nestmeshLockRaiseFence(this.fenceKey(key), atLeast.toString());
      } finally {
        this.inFlight.delete(id);
      }
    } catch (error) {
      throw new LockUnavailableError(key, error);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.client.disconnect();
  }

  /** Notes a command as sent; the watchdog runs while commands are being sent. */
  private sent(): number {
    const id = this.nextCommandId++;
    this.inFlight.set(id, performance.now());
    if (this.watchdog === undefined) {
      this.watchdog = setInterval(() => this.checkDeadline(), Math.max(5, this.commandTimeoutMs / 4));
      this.watchdog.unref();
    }
    return id;
  }

  /**
   * Replies on a connection come in order, so the oldest unanswered command tells whether
   * Redis stopped answering. Past the deadline the connection is dropped and remade: every
   * command in flight fails at once (LockUnavailableError) instead of waiting on a hung peer.
   * A command therefore fails between 1 and 1.25 × commandTimeoutMs after it was sent.
   */
  private checkDeadline(): void {
    const oldest = this.inFlight.values().next();
    if (oldest.done) {
      clearInterval(this.watchdog);
      this.watchdog = undefined;
      return;
    }
    if (performance.now() - oldest.value < this.commandTimeoutMs) return;
    this.inFlight.clear();
    this.client.disconnect(true);
  }
}
