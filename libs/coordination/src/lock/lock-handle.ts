import { randomUUID } from 'node:crypto';

import { LockLostError } from '../coordination.errors.js';
import type { LockBackend } from './lock-backend.js';
import { RENEW_DEADLINE_MARGIN_FRACTION, RENEW_INTERVAL_FRACTION } from './lock.constants.js';
import { type Renewable, renewals } from './renewal-scheduler.js';

/** When a lease renews and when it gives up (ms); defaults TTL/3, 0.8 × TTL, TTL/3. */
export interface LeaseTiming {
  /** Between a confirmed renewal and the next one. */
  renewIntervalMs: number;
  /** After the last confirmation: past it, the signal fires and renewal stops. */
  renewDeadlineMs: number;
  /** Between a failed renewal and the next try. */
  retryIntervalMs: number;
}

/**
 * A held lock: its fencing token, and a signal that fires when the lease is lost or can no
 * longer be confirmed. It renews itself every TTL/3 (monotonic clock). If no renewal has
 * confirmed the lease by its renew deadline (a fifth of a TTL before it could expire), the
 * signal fires and renewal stops: work under the lock must stop, and writes it makes should
 * carry `token` so that a store can refuse a stale holder.
 */
export class LockHandle implements Renewable {
  /** Created on first use: a lock taken and released without reading it costs no controller. */
  private controller: AbortController | undefined;
  /** Why the lease ended, once it has (released, lost); undefined while held. */
  private ended: (() => LockLostError) | undefined;
  /** When the next renewal goes out (monotonic ms); read by the shared renewal scheduler. */
  renewAt = 0;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private maxHoldTimer: NodeJS.Timeout | undefined;
  /** When the last confirmed lease began (the send time of its request; monotonic ms). */
  private confirmedAt: number;
  private readonly timing: LeaseTiming;

  /** Use LockService; exported for its type. */
  constructor(
    readonly key: string,
    readonly token: bigint,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly backend: LockBackend,
    requestedAt: number,
    maxHoldMs: number | undefined,
    timing: Partial<LeaseTiming> = {},
  ) {
    this.timing = {
      renewIntervalMs: timing.renewIntervalMs ?? ttlMs * RENEW_INTERVAL_FRACTION,
      renewDeadlineMs: timing.renewDeadlineMs ?? ttlMs * (1 - RENEW_DEADLINE_MARGIN_FRACTION),
      retryIntervalMs: timing.retryIntervalMs ?? ttlMs * RENEW_INTERVAL_FRACTION,
    };
    // The lease started no earlier than the request was sent.
    this.confirmedAt = requestedAt;
    // No timer of its own in the steady state: the renewal is on the shared scheduler. The
    // deadline is checked when it fires and guarded by a timer only while a renewal is
    // outstanding or failing.
    this.scheduleRenewal();
    if (maxHoldMs !== undefined) {
      this.maxHoldTimer = setTimeout(() => this.lose('max-hold'), maxHoldMs);
      this.maxHoldTimer.unref();
    }
  }

  static newOwner(): string {
    return randomUUID();
  }

  /** Fires when the lease is lost, can no longer be confirmed, or is released; its reason is a LockLostError. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.ended) this.controller.abort(this.ended());
    }
    return this.controller.signal;
  }

  /** Whether the lease is still believed held (the signal has not fired). */
  get held(): boolean {
    return this.ended === undefined;
  }

  private end(reason: () => LockLostError): void {
    this.ended = reason;
    this.stopTimers();
    this.controller?.abort(reason());
  }

  /**
   * Stops renewal and drops the lease. Safe to call more than once and after the lease was
   * lost; a backend error is swallowed, since the lease then simply expires by its TTL.
   */
  release(): Promise<void> {
    if (!this.held) return Promise.resolve();
    const key = this.key;
    this.end(() => releasedReason(key));
    return this.backend.release(this.key, this.owner).catch(leaseExpiresByItself);
  }

  private lose(why: 'expired' | 'unconfirmed' | 'max-hold'): void {
    if (!this.held) return;
    const reason = new LockLostError(this.key, why);
    this.end(() => reason);
    if (why === 'max-hold') void this.backend.release(this.key, this.owner).catch(() => undefined);
  }

  private stopTimers(): void {
    renewals.delete(this);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.maxHoldTimer);
  }

  /** When the signal must fire unless a renewal confirms the lease first (monotonic ms). */
  private get deadline(): number {
    return this.confirmedAt + this.timing.renewDeadlineMs;
  }

  private scheduleRenewal(inMs = this.timing.renewIntervalMs): void {
    this.renewAt = performance.now() + inMs;
    renewals.add(this);
  }

  /** Called by the renewal scheduler when `renewAt` has come. */
  renewNow(): void {
    void this.renew();
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    // A paused or starved process wakes up here late: past the deadline the lease is gone.
    if (performance.now() >= this.deadline) return this.lose('unconfirmed');
    if (this.deadlineTimer === undefined) {
      this.deadlineTimer = setTimeout(() => this.lose('unconfirmed'), this.deadline - performance.now());
      this.deadlineTimer.unref();
    }
    const sentAt = performance.now();
    try {
      const extended = await this.backend.extend(this.key, this.owner, this.ttlMs);
      if (!this.held) return;
      if (!extended) return this.lose('expired');
      this.confirmedAt = sentAt;
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    } catch {
      // Unreachable backend: retry soon; the deadline timer stays armed.
      if (this.held) this.scheduleRenewal(this.timing.retryIntervalMs);
      return;
    }
    if (this.held) this.scheduleRenewal();
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
