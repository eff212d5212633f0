import { randomUUID } from 'node:crypto';

import { LockLostError } from '../coordination.errors.js';
import type { LockBackend } from './lock-backend.js';
import { RENEW_DEADLINE_MARGIN_FRACTION, RENEW_INTERVAL_FRACTION } from './lock.constants.js';

/**
 * A held lock: its fencing token, and a signal that fires when the lease is lost or can no
 * longer be confirmed. It renews itself every TTL/3 (monotonic clock). If no renewal has
 * confirmed the lease by its renew deadline (a fifth of a TTL before it could expire), the
 * signal fires and renewal stops: work under the lock must stop, and writes it makes should
 * carry `token` so that a store can refuse a stale holder.
 */
export class LockHandle {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private renewTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private maxHoldTimer: NodeJS.Timeout | undefined;
  private confirmedUntil: number;

  /** Use LockService; exported for its type. */
  constructor(
    readonly key: string,
    readonly token: bigint,
    private readonly owner: string,
    private readonly ttlMs: number,
    private readonly backend: LockBackend,
    requestedAt: number,
    maxHoldMs: number | undefined,
  ) {
    this.signal = this.controller.signal;
    // The lease started no earlier than the request was sent.
    this.confirmedUntil = requestedAt + ttlMs;
    this.armDeadline();
    this.scheduleRenewal();
    if (maxHoldMs !== undefined) {
      this.maxHoldTimer = setTimeout(() => this.lose('max-hold'), maxHoldMs);
      this.maxHoldTimer.unref();
    }
  }

  static newOwner(): string {
    return randomUUID();
  }

  /** Whether the lease is still believed held (the signal has not fired). */
  get held(): boolean {
    return !this.signal.aborted;
  }

  /**
   * Stops renewal and drops the lease. Safe to call more than once and after the lease was
   * lost; a backend error is swallowed, since the lease then simply expires by its TTL.
   */
  async release(): Promise<void> {
    const wasHeld = this.held;
    this.stopTimers();
    if (wasHeld) this.controller.abort(new LockLostError(this.key, 'released'));
    if (wasHeld) await this.backend.release(this.key, this.owner).catch(() => undefined);
  }

  private lose(why: 'expired' | 'unconfirmed' | 'max-hold'): void {
    if (!this.held) return;
    this.stopTimers();
    this.controller.abort(new LockLostError(this.key, why));
    if (why === 'max-hold') void this.backend.release(this.key, this.owner).catch(() => undefined);
  }

  private stopTimers(): void {
    clearTimeout(this.renewTimer);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.maxHoldTimer);
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const deadline = this.confirmedUntil - this.ttlMs * RENEW_DEADLINE_MARGIN_FRACTION;
    this.deadlineTimer = setTimeout(
      () => this.lose('unconfirmed'),
      Math.max(0, deadline - performance.now()),
    );
    this.deadlineTimer.unref();
  }

  private scheduleRenewal(): void {
    this.renewTimer = setTimeout(() => void this.renew(), this.ttlMs * RENEW_INTERVAL_FRACTION);
    this.renewTimer.unref();
  }

  private async renew(): Promise<void> {
    if (!this.held) return;
    const sentAt = performance.now();
    try {
      const extended = await this.backend.extend(this.key, this.owner, this.ttlMs);
      if (!this.held) return;
      if (!extended) return this.lose('expired');
      this.confirmedUntil = sentAt + this.ttlMs;
      this.armDeadline();
    } catch {
      // Unreachable backend: keep trying until the renew deadline fires.
    }
    if (this.held) this.scheduleRenewal();
  }
}
