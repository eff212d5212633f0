import { BackendAuthError } from '@nestmesh/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  ElectionUnavailableError,
  InvalidLockOptionsError,
  LeadershipLostError,
  type LockLostError,
} from '../coordination.errors.js';
import { type LeaseClock, monotonicClock } from '../lock/lease-clock.js';
import { type DeadlineChecked, readThroughDeadline } from '../lock/lease-signal.js';
import type { LeaseBackend } from '../lock/lock-backend.js';
import { LockHandle } from '../lock/lock-handle.js';
import {
  electionTiming,
  leaderIdentity,
  validateName,
  withSince,
  type CampaignOptions,
  type ElectionTiming,
  type LeaderElection,
  type LeaderInfo,
  type Leadership,
  type ObserveOptions,
} from './leader-election.js';

/** A lease owner is `<candidateId>/<uuid>`: unique per campaign, and it says who leads. */
function ownerOf(candidateId: string): string {
  return `${candidateId}/${randomUUID()}`;
}

export function candidateOf(owner: string): string {
  const slash = owner.lastIndexOf('/');
  return slash < 0 ? owner : owner.slice(0, slash);
}

/**
 * Leadership on a lock lease: the lease's fencing token is the epoch. `active` and the
 * signal answer from the lease's clock, as the lock handle does.
 */
class LeaseLeadership implements Leadership, DeadlineChecked {
  private readonly controller = new AbortController();
  private closing = false;

  constructor(
    readonly group: string,
    readonly candidateId: string,
    readonly since: Date,
    private readonly handle: LockHandle,
    private readonly forget: (leadership: LeaseLeadership) => void,
  ) {
    handle.signal.addEventListener(
      'abort',
      () => {
        const why = (handle.signal.reason as LockLostError).why;
        const reason =
          why === 'released'
            ? this.closing
              ? 'closed'
              : 'resigned'
            : why === 'unconfirmed'
              ? why
              : 'expired';
        this.controller.abort(new LeadershipLostError(group, handle.token, reason));
        forget(this);
      },
      { once: true },
    );
    readThroughDeadline(this.controller.signal, this);
  }

  /** The lease's check: past its deadline it ends, and its abort listener above ends this. */
  checkDeadline(): void {
    this.handle.checkDeadline();
  }

  get epoch(): bigint {
    return this.handle.token;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get active(): boolean {
    return !this.controller.signal.aborted; // reads through the deadline check
  }

  resign(): Promise<void> {
    return this.handle.release();
  }

  close(): Promise<void> {
    this.closing = true;
    return this.handle.release();
  }
}

/**
 * Leader election on a {@link LeaseBackend} (Redis, ZooKeeper, memory): the lease is a lock on the group
 * with the candidate as its owner, the epoch is its fencing token (INCR), and the leadership
 * renews and demotes itself exactly like a lock (every TTL/3; at the renew deadline).
 * Followers try to take the lease every retry interval, woken early by waitForRelease where
 * the backend has it; on a backend with a queue (acquireQueued: ZooKeeper) each campaign waits
 * in it instead, woken when the one ahead of it goes.
 */
export class LeaseLeaderElection implements LeaderElection {
  readonly timing: ElectionTiming;
  private readonly leaderships = new Set<LeaseLeadership>();
  private readonly closed = new AbortController();

  constructor(
    private readonly backend: LeaseBackend,
    readonly group: string,
    timing: Partial<ElectionTiming> = {},
    private readonly ownsBackend = false,
    /** Lease timing's clock; tests give a manual one. */
    private readonly clock: LeaseClock = monotonicClock,
  ) {
    validateName('group', group);
    this.timing = electionTiming(timing);
  }

  async campaign(candidateId: string, { signal }: CampaignOptions = {}): Promise<Leadership> {
    validateName('candidateId', candidateId);
    const { ttlMs, renewDeadlineMs, retryIntervalMs } = this.timing;
    const stop = signal ? AbortSignal.any([signal, this.closed.signal]) : this.closed.signal;
    for (;;) {
      stop.throwIfAborted();
      const owner = ownerOf(candidateId);
      let requestedAt = this.clock.now();
      let epoch: bigint | undefined;
      try {
        if (this.backend.acquireQueued) {
          // A backend with a queue (ZooKeeper): wait in it, woken when the one ahead goes.
          const grant = await this.backend.acquireQueued(this.group, owner, ttlMs, {
            waitMs: Infinity,
            signal: stop,
            now: () => this.clock.now(),
          });
          epoch = grant?.token;
          if (grant) requestedAt = grant.confirmedAt;
        } else epoch = await this.backend.acquire(this.group, owner, ttlMs);
      } catch (error) {
        stop.throwIfAborted();
        // Refused credentials and a TTL the backend cannot honour do not get better by
        // waiting: the campaign fails with them.
        if (error instanceof BackendAuthError || error instanceof InvalidLockOptionsError) throw error;
        // Backend unreachable: a campaign outlives outages; try again next interval.
      }
      if (epoch !== undefined) {
        const since = new Date();
        if (stop.aborted || this.clock.now() - requestedAt >= renewDeadlineMs) {
          // Won too late to act on, or no longer wanted: give it back at once.
          await this.backend.release(this.group, owner).catch(() => undefined);
          continue;
        }
        const handle = new LockHandle(this.group, epoch, owner, ttlMs, this.backend, requestedAt, undefined, {
          renewIntervalMs: ttlMs / 3,
          renewDeadlineMs,
          retryIntervalMs,
          clock: this.clock,
        });
        const leadership = new LeaseLeadership(this.group, candidateId, since, handle, (l) =>
          this.leaderships.delete(l),
        );
        if (leadership.active) this.leaderships.add(leadership);
        // Before it is handed out, so that leader() answers with `since` once campaign() has
        // resolved. Not recorded (backend away for that one command): `since` stays unknown.
        await this.backend.recordLeadership?.(this.group, epoch, since).catch(() => undefined);
        return leadership;
      }
      // Jittered so that followers started together do not try in lockstep. A backend that can
      // tell when the lease is released or runs out wakes the follower then instead.
      const waitMs = retryIntervalMs * (0.8 + Math.random() * 0.4);
      if (this.backend.waitForRelease) {
        await this.backend.waitForRelease(this.group, waitMs, stop);
        stop.throwIfAborted();
      } else {
        await sleep(waitMs, undefined, { signal: stop }).catch(() => stop.throwIfAborted());
      }
    }
  }

  async leader(): Promise<LeaderInfo | undefined> {
    try {
      const holder = await this.backend.holder(this.group);
      return (
        holder && withSince({ candidateId: candidateOf(holder.owner), epoch: holder.token }, holder.since)
      );
    } catch (error) {
      if (error instanceof BackendAuthError) throw error;
      throw new ElectionUnavailableError(this.group, error);
    }
  }

  async *observe({ signal }: ObserveOptions = {}): AsyncIterable<LeaderInfo | undefined> {
    const stop = signal ? AbortSignal.any([signal, this.closed.signal]) : this.closed.signal;
    let last: string | undefined;
    while (!stop.aborted) {
      try {
        const current = await this.leader();
        const id = leaderIdentity(current);
        if (id !== last) {
          last = id;
          yield current;
        }
      } catch {
        // Unreachable: the last answer stands.
      }
      try {
        await sleep(this.timing.retryIntervalMs, undefined, { signal: stop });
      } catch {
        return;
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed.signal.aborted) return;
    this.closed.abort(new Error(`election ${this.group} closed`));
    await Promise.all([...this.leaderships].map((l) => l.close()));
    if (this.ownsBackend) await this.backend.close?.();
  }
}
