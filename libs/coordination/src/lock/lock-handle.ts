import { randomUUID } from 'node:crypto';

import { LockLostError } from '../coordination.errors.js';
import { type LeaseClock, type LeaseTimer, monotonicClock } from './lease-clock.js';
import { type DeadlineChecked, readThroughDeadline } from './lease-signal.js';
import type { LockBackend } from './lock-backend.js';
import type { LockHold } from './lock.telemetry.js';
import { RENEW_DEADLINE_MARGIN_FRACTION, RENEW_INTERVAL_FRACTION } from './lock.constants.js';
import { type Renewable, type RenewalScheduler, renewalsFor } from './renewal-scheduler.js';

/** When a lease renews and when it gives up (ms); defaults TTL/3, 0.8 × TTL, TTL/3. */
export interface LeaseTiming {
  /** Between a confirmed renewal and the next one. */
  renewIntervalMs: number;
  /** After the last confirmation: past it, the lease is lost and renewal stops. */
  renewDeadlineMs: number;
  /** Between a failed renewal and the next try. */
  retryIntervalMs: number;
}

/** Lease timing, and the clock it runs on (default: `performance.now()`). */
export interface LeaseSettings extends Partial<LeaseTiming> {
  clock?: LeaseClock;
}

/**
 * A held lock: its fencing token, and a signal that fires when the lease is lost or can no
 * longer be confirmed. It renews itself every TTL/3 (monotonic clock). If no renewal has
 * confirmed the lease by its renew deadline (a fifth of a TTL before it could expire), the
 * lease is lost: `held`, `signal.aborted`, `signal.reason` and `signal.throwIfAborted()` say so
 * from the clock the moment they are read past the deadline — a process that was paused (GC,
 * SIGSTOP) is told before it can act on the lease, even when one of its own timers runs
 * before the lease's. Work under the lock must stop then, and writes it makes should carry
 * `token` so that a store can refuse a stale holder.
 */
export class LockHandle implements Renewable, DeadlineChecked {
  /** Created on first use: a lock taken and released without reading it costs no controller. */
  private controller: AbortController | undefined;
  /** Why the lease ended, once it has (released, lost); undefined while held. */
  private ended: (() => LockLostError) | undefined;
  /** When the next renewal goes out (monotonic ms); read by the shared renewal scheduler. */
  renewAt = 0;
  private deadlineTimer: LeaseTimer | undefined;
  private maxHoldTimer: LeaseTimer | undefined;
  /** Past this (monotonic ms) the lease is lost: the last confirmation + renewDeadlineMs. */
  private deadline: number;
  private readonly timing: LeaseTiming;
  private readonly clock: LeaseClock;
  private readonly renewals: RenewalScheduler;
  /**
   * The hold's span and metrics, when LockService made the lock (an election's lease has
   * its own telemetry). Set right after construction, before the lease can end.
   * @internal
   */
  hold: LockHold | undefined;

  /** Use LockService; exported for its type. */
  constructor(
    readonly key: string,
    readonly token: bigint,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly backend: LockBackend,
    requestedAt: number,
    maxHoldMs: number | undefined,
    settings: LeaseSettings = {},
  ) {
    this.timing = {
      renewIntervalMs: settings.renewIntervalMs ?? ttlMs * RENEW_INTERVAL_FRACTION,
      renewDeadlineMs: settings.renewDeadlineMs ?? ttlMs * (1 - RENEW_DEADLINE_MARGIN_FRACTION),
      retryIntervalMs: settings.retryIntervalMs ?? ttlMs * RENEW_INTERVAL_FRACTION,
    };
    const clock = (this.clock = settings.clock ?? monotonicClock);
    this.renewals = renewalsFor(clock);
    // The lease started no earlier than the request was sent.
    this.deadline = requestedAt + this.timing.renewDeadlineMs;
    // No timer of its own in the steady state: the renewal is on the shared scheduler. The
    // deadline is checked whenever the lease is read or renewed, and guarded by a timer only
    // while a renewal is outstanding or failing.
    this.scheduleRenewal(requestedAt + this.timing.renewIntervalMs);
    if (maxHoldMs !== undefined) this.maxHoldTimer = clock.setTimeout(() => this.lose('max-hold'), maxHoldMs);
  }

  static newOwner(): string {
    return randomUUID();
  }

  /**
   * Fires when the lease is lost, can no longer be confirmed, or is released; its reason is a
   * LockLostError. `aborted`, `reason` and `throwIfAborted()` answer from the clock.
   */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.ended) this.controller.abort(this.ended());
      else readThroughDeadline(this.controller.signal, this);
    }
    return this.controller.signal;
  }

  /** Whether the lease is still held: false once it ended, or once its renew deadline passed. */
  get held(): boolean {
    this.checkDeadline();
    return this.ended === undefined;
  }

  /**
   * Ends the lease (why 'unconfirmed') if its renew deadline has passed: what `held` and the
   * signal do before they answer. A lease lost this way is not released at the backend: it
   * runs out by its TTL, as one whose renewals failed does.
   */
  checkDeadline(): void {
    if (this.ended === undefined && this.clock.now() >= this.deadline) this.lose('unconfirmed');
  }

  /**
   * Stops renewal and drops the lease. Safe to call more than once and after the lease was
   * lost; a backend error is swallowed, since the lease then simply expires by its TTL.
   */
  release(): Promise<void> {
    if (!this.held) return Promise.resolve();
    const key = this.key;
    this.end('released', () => releasedReason(key));
    return this.backend.release(this.key, this.owner).catch(leaseExpiresByItself);
  }

  private end(why: LockLostError['why'], reason: () => LockLostError): void {
    this.ended = reason;
    this.stopTimers();
    // Before the abort: what its listeners do comes after the hold ended.
    this.hold?.end(why);
    this.controller?.abort(reason());
  }

  private lose(why: 'expired' | 'unconfirmed' | 'max-hold'): void {
    if (this.ended) return;
    const reason = new LockLostError(this.key, why);
    this.end(why, () => reason);
    if (why === 'max-hold') void this.backend.release(this.key, this.owner).catch(() => undefined);
  }

  private stopTimers(): void {
    this.renewals.delete(this);
    this.clock.clearTimeout(this.deadlineTimer);
    this.clock.clearTimeout(this.maxHoldTimer);
  }

  /**
   * Renewals are timed from the start of what they renew (the send time of the request the
   * lease was last confirmed by), not from when its answer was read: a slow answer then
   * eats into the interval, not into the margin before the deadline.
   */
  private scheduleRenewal(at: number): void {
    this.renewAt = at;
    this.renewals.add(this);
  }

  /** Called by the renewal scheduler when `renewAt` has come. */
  renewNow(): void {
    // In the hold's context, so that what the renewal traces (Redlock's node events) lands on it.
    void (this.hold ? this.hold.run(() => this.renew()) : this.renew());
  }

  private async renew(): Promise<void> {
    // A paused or starved process wakes up here late: past the deadline the lease is gone.
    if (!this.held) return;
    if (this.deadlineTimer === undefined) {
      const left = this.deadline - this.clock.now();
      this.deadlineTimer = this.clock.setTimeout(() => this.lose('unconfirmed'), left);
    }
    const sentAt = this.clock.now();
    try {
      const extended = await this.backend.extend(this.key, this.owner, this.ttlMs);
      // An answer read past the deadline confirms nothing: the lease was already given up.
      if (!this.held) return;
      if (!extended) return this.lose('expired');
      this.deadline = sentAt + this.timing.renewDeadlineMs;
      this.clock.clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    } catch {
      // Unreachable backend: retry soon; the deadline timer stays armed.
      if (this.held) this.scheduleRenewal(this.clock.now() + this.timing.retryIntervalMs);
      return;
    }
    this.scheduleRenewal(sentAt + this.timing.renewIntervalMs);
  }
}

/** A failed release is not an error: the lease expires by its TTL. */
function leaseExpiresByItself(): void {}

/** The reason on a released lock's signal: informational, so built without a stack trace. */
function releasedReason(key: string): LockLostError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new LockLostError(key, 'released');
  } finally {
    Error.stackTraceLimit = limit;
  }
}
