import type { Etcd3, Lease, Watcher } from 'etcd3';

import { LeadershipLostError } from '../../../coordination.errors.js';
import { type DeadlineChecked, readThroughDeadline } from '../../../lock/lease-signal.js';
import type { ElectionTiming, Leadership } from '../../leader-election.js';

/**
 * The lease of one campaign, renewed every TTL/3 after a confirmation and every retry interval
 * after a failure. etcd3's automatic keep-alive is not used: an answer that arrives after a
 * revoke re-arms its TTL-long stream timeout, which held a closed process for 2 s. Tracks
 * when etcd last confirmed the lease: the send time (monotonic ms) of the grant or
 * keep-alive it answered.
 */
export class CandidateLease {
  readonly lease: Lease;
  confirmedAt = -Infinity;
  /** Called after each confirmation. */
  onConfirmed = (): void => undefined;
  private readonly lostController = new AbortController();
  private readonly requestedAt = performance.now();
  private renewTimer: NodeJS.Timeout | undefined;
  private revoked: Promise<void> | undefined;

  constructor(
    client: Etcd3,
    private readonly timing: ElectionTiming,
    private readonly requestTimeoutMs: number,
  ) {
    const options = { autoKeepAlive: false, deadline: Date.now() + requestTimeoutMs };
    this.lease = client.lease(timing.ttlMs / 1000, options);
    this.lease.on('lost', (error) => this.lostController.abort(error));
  }

  /** Fires when etcd answers that the lease expired or was revoked, or its grant failed. */
  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  async grant(): Promise<string> {
    const id = await this.lease.grant();
    this.confirm(this.requestedAt);
    return id;
  }

  /**
   * Stops renewing at once and revokes; never rejects. A revoke that fails (etcd away) is
   * retried every retry interval in the background for up to a minute: etcd extends leases
   * when it restarts, so without the retry a demoted leader's key would hold the group for
   * another TTL after etcd comes back. The retries never keep the process alive.
   */
  revoke(): Promise<void> {
    clearTimeout(this.renewTimer);
    if (!this.revoked) {
      const giveUpAt = performance.now() + 60_000;
      const attempt = (): Promise<boolean> =>
        this.lease.revoke({ deadline: Date.now() + this.requestTimeoutMs }).then(
          () => true,
          () => false,
        );
      const retry = () => {
        if (performance.now() >= giveUpAt) return;
        const timer = setTimeout(
          () => void attempt().then((done) => done || retry()),
          this.timing.retryIntervalMs,
        );
        timer.unref();
      };
      this.revoked = attempt().then((done) => {
        if (!done) retry();
      });
    }
    return this.revoked;
  }

  /** Keep-alives are timed from the send time they confirm, so a slow answer eats into the interval, not into the margin before the renew deadline. */
  private confirm(sentAt: number): void {
    if (this.revoked) return;
    this.confirmedAt = Math.max(this.confirmedAt, sentAt);
    this.onConfirmed();
    this.renewIn(Math.max(0, this.confirmedAt + this.timing.ttlMs / 3 - performance.now()));
  }

  private renewIn(ms: number): void {
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(() => void this.renew(), ms);
  }

  private async renew(): Promise<void> {
    if (this.revoked || this.lost.aborted) return;
    const sentAt = performance.now();
    try {
      await this.lease.keepaliveOnce({ deadline: Date.now() + this.requestTimeoutMs });
      this.confirm(sentAt);
    } catch {
      // Unreachable, or expired (etcd3 then emits 'lost'): try again unless it is gone.
      if (!this.revoked && !this.lost.aborted) this.renewIn(this.timing.retryIntervalMs);
    }
  }
}

/**
 * Leadership of one epoch on a candidate lease. It ends for good — the lease lost or not
 * confirmed by the renew deadline, the leader key deleted, resigned, closed — and its lease
 * is then revoked; leading again takes a new campaign and a new epoch. `active` and the
 * signal's `aborted`, `reason` and `throwIfAborted()` answer from the clock: read past the
 * renew deadline they say it ended (`unconfirmed`), even before the deadline timer has run.
 */
export class EtcdLeadership implements Leadership, DeadlineChecked {
  private readonly controller = new AbortController();
  private ended = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Past this (monotonic ms) the leadership is over: the last confirmation + renewDeadlineMs. */
  private deadline: number;

  constructor(
    readonly group: string,
    readonly candidateId: string,
    readonly epoch: bigint,
    /** When it won (wall clock). */
    readonly since: Date,
    private readonly candidate: CandidateLease,
    /** Deletes of the leader key: an operator or a wipe can remove it while the lease lives. */
    private readonly watcher: Watcher,
    private readonly renewDeadlineMs: number,
    /** Told once, when the leadership ends. */
    private readonly onEnded: (leadership: EtcdLeadership) => void,
  ) {
    readThroughDeadline(this.controller.signal, this);
    this.deadline = candidate.confirmedAt + renewDeadlineMs;
    candidate.onConfirmed = () => this.confirmed();
    candidate.lost.addEventListener('abort', () => this.end('expired'), { once: true });
    watcher.on('delete', () => this.end('expired')).on('error', () => undefined); // the lease still guards
    this.armDeadline();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get active(): boolean {
    return !this.controller.signal.aborted; // reads through the deadline check
  }

  checkDeadline(): void {
    if (!this.ended && performance.now() >= this.deadline) this.end('unconfirmed');
  }

  resign(): Promise<void> {
    this.end('resigned');
    return this.candidate.revoke();
  }

  close(): Promise<void> {
    this.end('closed');
    return this.candidate.revoke();
  }

  /** A keep-alive was answered; one read past the deadline confirms nothing. */
  private confirmed(): void {
    this.checkDeadline();
    if (this.ended) return;
    this.deadline = this.candidate.confirmedAt + this.renewDeadlineMs;
    this.armDeadline();
  }

  /** Demotes at the renew deadline unless a keep-alive sent before it is confirmed first. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(
      () => this.end('unconfirmed'),
      Math.max(0, this.deadline - performance.now()),
    );
    this.deadlineTimer.unref();
  }

  private end(why: LeadershipLostError['why']): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.deadlineTimer);
    this.candidate.onConfirmed = () => undefined;
    this.watcher.cancel().catch(() => undefined);
    this.controller.abort(new LeadershipLostError(this.group, this.epoch, why));
    this.onEnded(this);
  }
}
