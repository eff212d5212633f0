import type { RedisOptions } from 'ioredis';
import { createHash } from 'node:crypto';

import { InvalidLockOptionsError, LockUnavailableError } from '../../../coordination.errors.js';
import { leadershipRecord, sinceOf } from '../../../election/leader-election.js';
import type { LockBackend } from '../../lock-backend.js';
import { ReleaseWaiters } from '../../release-waiters.js';
import { isCluster, type RedisClient } from './redis.client.js';
import { createRedisClient, redisAuthFailure, redisCredentialsChecked } from './redis.connection.js';
import { ReleaseSubscription } from './release.subscription.js';
import { evalThenWait } from './replicated-grant.js';

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

// Release that also announces it (elections): followers waiting on the channel try at once.
const RELEASE_ANNOUNCED = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], KEYS[1])
  return 1
end
return 0`;

// Raise the fence counter to at least ARGV[1] (quorum mode: see RedlockBackend).
const RAISE_FENCE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

// Record when the leadership of token ARGV[1] began (ARGV[2], `<token>:<ms>`), unless a newer
// token was issued since (elections only: see recordLeadership).
const RECORD_LEADERSHIP = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('SET', KEYS[2], ARGV[2]) end
return 1`;

/** A script run by EVALSHA, loaded with EVAL when Redis answers NOSCRIPT (after a restart, SCRIPT FLUSH). */
interface Script {
  readonly lua: string;
  readonly sha: string;
  readonly keys: number;
}

function script(lua: string, keys: number): Script {
  return { lua, keys, sha: createHash('sha1').update(lua).digest('hex') };
}

// Sent with EVALSHA directly rather than through ioredis' defineCommand, whose per-call
// wrapping cost ~3 % of an uncontended acquire+release.
const SCRIPTS = {
  acquire: script(ACQUIRE, 2),
  extend: script(EXTEND, 1),
  release: script(RELEASE, 1),
  releaseAnnounced: script(RELEASE_ANNOUNCED, 1),
  raiseFence: script(RAISE_FENCE, 1),
  recordLeadership: script(RECORD_LEADERSHIP, 2),
} as const;

export interface RedisLockBackendOptions {
  /**
   * `redis[s]://[user:password@]host:port[/db][?ca=&cert=&key=]` (see createRedisClient); a
   * refused password fails commands with BackendAuthError.
   */
  url: string;
  /**
   * Deadline of each command, in ms. Default 1000: a lock answer later than that is no answer;
   * the connection is then remade (see checkDeadline).
   */
  commandTimeoutMs?: number;
  /** Namespace of the keys. Default `nestmesh:lock:` (elections use `nestmesh:election:`). */
  prefix?: string;
  /**
   * Publish every release on `<prefix>released`, so that waitForRelease() wakes at once.
   * Default false (locks); elections turn it on for fast handover.
   */
  announceReleases?: boolean;
  /**
   * Replicas that must acknowledge each grant before acquire() returns it: the acquire script
   * and `WAIT replicaAcks` go in one pipeline on the key's connection, WAIT given half the
   * command deadline; fewer acknowledgements, and the lease is given back and acquire() fails
   * with LockUnavailableError. A failover that promotes one of them then keeps the lease and
   * the fencing counter, which asynchronous replication may otherwise lose (a token issued
   * twice). Default 0 (redis://); redis+sentinel:// and redis+cluster:// default to 1
   * (`?replicaAcks=`).
   */
  replicaAcks?: number;
  /** Extra ioredis options. */
  redis?: RedisOptions;
}

/**
 * Locks on one Redis (ioredis). Scripts are sent with EVALSHA, and with EVAL (which loads
 * them) when Redis answers NOSCRIPT. Commands never queue while Redis is away: they fail at once (or at their
 * deadline) with LockUnavailableError, so a caller never waits on a lock it cannot get.
 */
export class RedisLockBackend implements LockBackend {
  readonly client: RedisClient;
  /** Deadline of each command, in ms. */
  readonly commandTimeoutMs: number;
  /** Commands sent and not yet answered: id → when sent (monotonic ms), oldest first. */
  private readonly inFlight = new Map<number, number>();
  private nextCommandId = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private readonly prefix: string;
  private readonly announceReleases: boolean;
  /** Replicas each grant must reach before acquire() resolves (see the option). */
  private readonly replicaAcks: number;
  /** Where announced releases are heard (announceReleases only). */
  private readonly releases: ReleaseSubscription | undefined;
  private closed = false;
  /** On a Redis Cluster, where every script's keys must share one hash slot. */
  private readonly clustered: boolean;
  /** waitForRelease() calls, by lock key. */
  private readonly releaseWaiters = new ReleaseWaiters();

  constructor(options: RedisLockBackendOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1000;
    this.prefix = options.prefix ?? LOCK_KEY_PREFIX;
    this.announceReleases = options.announceReleases ?? false;
    this.replicaAcks = options.replicaAcks ?? 0;
    const client = createRedisClient(options.url, {
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
    this.client = client;
    this.clustered = isCluster(client);
    this.releases = this.announceReleases
      ? new ReleaseSubscription(client, this.releaseChannel, this.commandTimeoutMs, (lockKey) =>
          this.releaseWaiters.wake(lockKey),
        )
      : undefined;
  }

  /**
   * Waits (up to the command deadline) for a connection that is being made or remade; fails at
   * once when the client is closed, and as soon as a connection attempt fails (a refused
   * connection is a down node now, not after the deadline: Redlock's validity depends on it).
   * Its timer and listeners are cleared whichever comes first.
   */
  private ready(): Promise<void> {
    if (this.client.status === 'ready') return Promise.resolve();
    if (this.client.status === 'end') return Promise.reject(new Error('the Redis client is closed'));
    // One wait shared by every command that arrives meanwhile (not a listener each).
    this.connecting ??= new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady).off('end', onEnd).off('error', onError);
        this.connecting = undefined;
        if (error) reject(error);
        else resolve();
      };
      const onReady = (): void => settle();
      const onEnd = (): void => settle(new Error('the Redis client is closed'));
      const onError = (error: Error): void => settle(error);
      const timer = setTimeout(
        () =>
          settle(
            new Error(`not connected to Redis (${this.client.status}) within ${this.commandTimeoutMs} ms`),
          ),
        this.commandTimeoutMs,
      );
      this.client.once('ready', onReady).once('end', onEnd).once('error', onError);
    });
    return this.connecting;
  }

  private lockKey(key: string): string {
    return `${this.prefix}{${key}}`;
  }

  private fenceKey(key: string): string {
    return `${this.prefix}{${key}}:fence`;
  }

  /** When the current leadership began (elections): `<token>:<ms>`, valid while its token is the fence's. */
  private sinceKey(key: string): string {
    return `${this.prefix}{${key}}:since`;
  }

  // acquire/extend/release chain on script() instead of awaiting it: one async frame less per
  // command on the hot path.
  acquire(key: string, owner: string, ttlMs: number): Promise<bigint | undefined> {
    if (this.clustered && (key === '' || key.startsWith('}')))
      return Promise.reject(
        new InvalidLockOptionsError(
          'key',
          `${JSON.stringify(key)} cannot be a lock key on a Redis Cluster: the hash tag {key} would be empty, and the lock and its fence counter would land in different slots (a key must not be empty nor start with "}")`,
        ),
      );
    if (this.replicaAcks > 0) return this.acquireReplicated(key, owner, ttlMs);
    return this.script(
      key,
      SCRIPTS.acquire,
      this.lockKey(key),
      this.fenceKey(key),
      owner,
      Math.ceil(ttlMs),
    ).then((token) => (token === null ? undefined : BigInt(token as number)));
  }

  /**
   * The acquire script and WAIT on one connection (see evalThenWait), so the grant is on
   * `replicaAcks` replicas before it is handed out: a failover then
   * keeps the lease and the fence, and the next token is greater. A grant not acknowledged in
   * half the command deadline is released and refused.
   */
  private async acquireReplicated(key: string, owner: string, ttlMs: number): Promise<bigint | undefined> {
    const waitMs = Math.max(1, Math.floor(this.commandTimeoutMs / 2));
    const { answer: granted, acknowledged } = await this.command(key, () =>
      evalThenWait(
        this.client,
        ACQUIRE,
        [this.lockKey(key), this.fenceKey(key)],
        [owner, Math.ceil(ttlMs)],
        this.replicaAcks,
        waitMs,
      ),
    );
    if (granted === null) return undefined;
    if (acknowledged >= this.replicaAcks) return BigInt(granted as number);
    await this.release(key, owner).catch(() => undefined);
    throw new LockUnavailableError(
      key,
      new Error(
        `the grant reached ${acknowledged} of ${this.replicaAcks} replicas within ${waitMs} ms; refused, since a failover would lose it`,
      ),
    );
  }

  extend(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.script(key, SCRIPTS.extend, this.lockKey(key), owner, Math.ceil(ttlMs)).then(
      (extended) => extended === 1,
    );
  }

  release(key: string, owner: string): Promise<void> {
    const released = this.announceReleases
      ? this.script(key, SCRIPTS.releaseAnnounced, this.lockKey(key), owner, this.releaseChannel)
      : this.script(key, SCRIPTS.release, this.lockKey(key), owner);
    return released.then(() => undefined);
  }

  /**
   * Who holds `key`, the token they were issued and, when recorded, since when they lead (one
   * MGET: the keys share a slot), or undefined.
   */
  async holder(key: string): Promise<{ owner: string; token: bigint; since?: Date } | undefined> {
    const [owner, token, record] = await this.command(key, () =>
      this.client.mget(this.lockKey(key), this.fenceKey(key), this.sinceKey(key)),
    );
    // The counter only moves when the key is set, so while it is set it is the holder's token.
    if (!owner || !token) return undefined;
    const since = sinceOf(record, BigInt(token));
    return since ? { owner, token: BigInt(token), since } : { owner, token: BigInt(token) };
  }

  /**
   * Records `since` as the start of the leadership of `token` on `key`, unless a newer token
   * was issued meanwhile. Elections call it once per win, apart from the acquire script, so
   * that locks never pay for it.
   */
  async recordLeadership(key: string, token: bigint, since: Date): Promise<void> {
    const record = leadershipRecord(token, since);
    await this.script(
      key,
      SCRIPTS.recordLeadership,
      this.fenceKey(key),
      this.sinceKey(key),
      String(token),
      record,
    );
  }

  /** Raises the key's fence counter to at least `atLeast` (quorum mode). */
  async raiseFence(key: string, atLeast: bigint): Promise<void> {
    await this.script(key, SCRIPTS.raiseFence, this.fenceKey(key), atLeast.toString());
  }

  /**
   * A script by EVALSHA, by EVAL (which loads it) if this Redis does not have it; under the
   * command deadline; any failure is LockUnavailableError.
   */
  private async script(key: string, script: Script, ...args: (string | number)[]): Promise<unknown> {
    let id: number | undefined;
    try {
      if (this.client.status !== 'ready') await this.ready();
      id = this.sent();
      try {
        return await this.client.evalsha(script.sha, script.keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await this.client.eval(script.lua, script.keys, ...args);
      }
    } catch (error) {
      throw this.failure(key, error);
    } finally {
      if (id !== undefined) this.inFlight.delete(id);
    }
  }

  /** Any other command, under the command deadline; any failure is LockUnavailableError. */
  private async command<T>(key: string, send: () => Promise<T>): Promise<T> {
    let id: number | undefined;
    try {
      if (this.client.status !== 'ready') await this.ready();
      id = this.sent();
      return await send();
    } catch (error) {
      throw this.failure(key, error);
    } finally {
      if (id !== undefined) this.inFlight.delete(id);
    }
  }

  /**
   * Startup check: rejects with BackendAuthError when Redis refuses the URL's credentials;
   * resolves once connected, or when Redis is away or slow (see redisCredentialsChecked).
   */
  credentialsChecked(): Promise<void> {
    return redisCredentialsChecked(this.client);
  }

  /** A refused password is BackendAuthError (fix the URL); anything else LockUnavailableError (retry). */
  private failure(key: string, error: unknown): Error {
    return redisAuthFailure(this.client) ?? new LockUnavailableError(key, error);
  }

  private get releaseChannel(): string {
    return `${this.prefix}released`;
  }

  /**
   * Resolves when `key` may be free to take: when its holder releases it (announced releases),
   * when its lease runs out (its PTTL), or after `maxMs`, whichever is first; at once if it is
   * free or the backend is closed. Aborting `signal` (or close()) ends the wait at once. Never
   * rejects: without Redis it just waits `maxMs`. Every timer it arms is cleared when it ends.
   * For followers of an election.
   */
  async waitForRelease(key: string, maxMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed) return;
    const lockKey = this.lockKey(key);
    await this.releaseWaiters.wait(lockKey, signal, async (ended) => {
      try {
        await this.releases?.ready(ended);
        const pttl = await this.command(key, () => this.client.pttl(lockKey));
        if (pttl === -2) return undefined; // no such key: free now
        return pttl >= 0 ? Math.min(maxMs, pttl + 1) : maxMs;
      } catch {
        return maxMs; // Redis away: a plain wait; the caller's next attempt reports the outage
      }
    });
  }

  /**
   * Closes both connections (the subscriber too, subscribed or still connecting) and ends
   * every waitForRelease(); nothing of this backend keeps the process alive afterwards.
   */
  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.releaseWaiters.wakeAll();
    this.client.disconnect();
    this.releases?.close();
    return Promise.resolve();
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
