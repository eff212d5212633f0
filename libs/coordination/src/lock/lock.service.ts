import { Inject, Injectable, Optional } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

import { InvalidLockOptionsError, LockHeldError } from '../coordination.errors.js';
import { LeaseClock, monotonicClock } from './lease-clock.js';
import { LockBackend } from './lock-backend.js';
import { LockHandle, type LeaseSettings } from './lock-handle.js';
import { ACQUIRE_BACKOFF_MS, DEFAULT_LOCK_TTL_MS, RENEW_DEADLINE_MARGIN_FRACTION } from './lock.constants.js';
import { AcquireTelemetry, outcomeOf } from './lock.telemetry.js';

export interface LockOptions {
  /** Lease TTL in ms. Default 10 000. */
  ttlMs?: number;
  /** Stop (signal fires, lock released) after holding this long, in ms. Default: no limit. */
  maxHoldMs?: number;
}

export interface AcquireOptions extends LockOptions {
  /** How long to wait for a held lock, in ms, before LockHeldError. Default 0 (one try). */
  waitMs?: number;
  /** Aborting stops waiting and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Throws InvalidLockOptionsError naming the first option that cannot work. */
export function validateLockOptions(options: AcquireOptions): void {
  const { ttlMs, waitMs, maxHoldMs } = options;
  if (ttlMs !== undefined && (!Number.isFinite(ttlMs) || ttlMs < 10)) {
    throw new InvalidLockOptionsError('ttlMs', `must be at least 10 ms, got ${ttlMs}`);
  }
  if (waitMs !== undefined && (!Number.isFinite(waitMs) || waitMs < 0)) {
    throw new InvalidLockOptionsError('waitMs', `must be ≥ 0, got ${waitMs}`);
  }
  if (maxHoldMs !== undefined && (!Number.isFinite(maxHoldMs) || maxHoldMs <= 0)) {
    throw new InvalidLockOptionsError('maxHoldMs', `must be > 0, got ${maxHoldMs}`);
  }
}

/** Distributed locks with fencing tokens over the configured {@link LockBackend}. */
@Injectable()
export class LockService {
  /** What every handle this service makes runs on: one object, not one per lock. */
  private readonly leaseSettings: LeaseSettings;

  constructor(
    @Inject(LockBackend) private readonly backend: LockBackend,
    @Optional()
    @Inject('NESTMESH_LOCK_DEFAULT_TTL_MS')
    private readonly defaultTtlMs: number = DEFAULT_LOCK_TTL_MS,
    /** Lease timing's clock; tests give a manual one. */
    @Optional()
    @Inject(LeaseClock)
    private readonly clock: LeaseClock = monotonicClock,
  ) {
    this.leaseSettings = { clock };
  }

  /** One attempt: the lock, or LockHeldError; LockUnavailableError when the backend is down. */
  tryAcquire(key: string, options: LockOptions = {}): Promise<LockHandle> {
    try {
      validateLockOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const telemetry = new AcquireTelemetry(key);
    return this.attempt(key, options, telemetry).then(
      (lock) => lock ?? telemetry.failed(new LockHeldError(key), 'held-by-other'),
      (error: unknown) => telemetry.failed(error, outcomeOf(error, 0)),
    );
  }

  /**
   * Waits up to `waitMs` for the lock, retrying with jittered backoff (5 ms doubling to
   * 250 ms), or in the backend's queue when it has one (ZooKeeper: acquireQueued). Aborting
   * `signal` rejects with its reason; backend errors reject at once.
   */
  async acquire(key: string, options: AcquireOptions = {}): Promise<LockHandle> {
    validateLockOptions(options);
    const { waitMs = 0, signal } = options;
    const telemetry = new AcquireTelemetry(key);
    try {
      if (waitMs > 0 && this.backend.acquireQueued) return await this.queued(key, options, telemetry);
      const giveUpAt = performance.now() + waitMs;
      for (let attempt = 0; ; attempt++) {
        signal?.throwIfAborted();
        const lock = await this.attempt(key, options, telemetry);
        if (lock) return lock;
        const remaining = giveUpAt - performance.now();
        if (remaining <= 0) throw new LockHeldError(key);
        const backoff = Math.min(ACQUIRE_BACKOFF_MS[0] * 2 ** attempt, ACQUIRE_BACKOFF_MS[1]);
        await sleep(Math.min(remaining, backoff * (0.5 + Math.random() / 2)), undefined, { signal });
      }
    } catch (error) {
      return telemetry.failed(error, outcomeOf(error, waitMs, signal));
    }
  }

  /**
   * Runs `fn` under the lock: `fn(signal, lock)` gets a signal that fires when the lease is
   * lost or can no longer be confirmed (or `maxHoldMs` passed); the lock renews itself while
   * `fn` runs and is released when it settles. `fn`'s own error is rethrown unchanged.
   * `fn` runs inside the lock's `nestmesh.lock.hold` span: what it traces nests under it.
   */
  async using<T>(
    key: string,
    fn: (signal: AbortSignal, lock: LockHandle) => Promise<T> | T,
    options: AcquireOptions = {},
  ): Promise<T> {
    const lock = await this.acquire(key, options);
    try {
      return await (lock.hold ? lock.hold.run(() => fn(lock.signal, lock)) : fn(lock.signal, lock));
    } finally {
      await lock.release();
    }
  }

  /**
   * A wait in the backend's queue (ZooKeeper) instead of retries: one place, woken when the
   * one ahead of it goes. The lease runs from the request that confirmed the grant.
   */
  private async queued(
    key: string,
    { ttlMs = this.defaultTtlMs, maxHoldMs, waitMs = 0, signal }: AcquireOptions,
    telemetry: AcquireTelemetry,
  ): Promise<LockHandle> {
    const owner = LockHandle.newOwner();
    const clock = this.clock;
    telemetry.attempts++;
    const grant = await telemetry.around(() =>
      this.backend.acquireQueued!(key, owner, ttlMs, { waitMs, signal, now: () => clock.now() }),
    );
    if (!grant) throw new LockHeldError(key);
    // A grant confirmed so long ago that its renew deadline has passed is a lease we cannot use.
    if (clock.now() - grant.confirmedAt > ttlMs * (1 - RENEW_DEADLINE_MARGIN_FRACTION)) {
      await this.backend.release(key, owner).catch(() => undefined);
      throw new LockHeldError(key);
    }
    const lock = new LockHandle(
      key,
      grant.token,
      owner,
      ttlMs,
      this.backend,
      grant.confirmedAt,
      maxHoldMs,
      this.leaseSettings,
    );
    lock.hold = telemetry.acquired(grant.token);
    return lock;
  }

  // Chained rather than async/await: this is the hot path of every lock, and each async frame
  // costs microtask turns on it.
  private attempt(
    key: string,
    { ttlMs = this.defaultTtlMs, maxHoldMs }: LockOptions,
    telemetry: AcquireTelemetry,
  ): Promise<LockHandle | undefined> {
    const owner = LockHandle.newOwner();
    const clock = this.clock;
    const requestedAt = clock.now();
    telemetry.attempts++;
    return telemetry
      .around(() => this.backend.acquire(key, owner, ttlMs))
      .then((token) => {
        if (token === undefined) return undefined;
        // An answer that arrived after the renew deadline is a lease we cannot use.
        if (clock.now() - requestedAt > ttlMs * (1 - RENEW_DEADLINE_MARGIN_FRACTION)) {
          return this.backend.release(key, owner).then(
            () => undefined,
            () => undefined,
          );
        }
        const lock = new LockHandle(
          key,
          token,
          owner,
          ttlMs,
          this.backend,
          requestedAt,
          maxHoldMs,
          this.leaseSettings,
        );
        lock.hold = telemetry.acquired(token);
        return lock;
      });
  }
}
