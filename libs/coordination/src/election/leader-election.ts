import { InvalidElectionOptionsError } from '../coordination.errors.js';

/** Who leads a group, and since which epoch. */
export interface LeaderInfo {
  readonly candidateId: string;
  /** Grows with every new leadership of the group; writes carry it as their fencing value. */
  readonly epoch: bigint;
  /**
   * When this leadership began (the winner's wall clock), as the backend recorded it; absent
   * when it cannot be known (a backend that does not record it, or a read in the moment
   * between the win and its record) — never a guess.
   */
  readonly since?: Date;
}

/** Leadership won by {@link LeaderElection.campaign}. */
export interface Leadership extends LeaderInfo {
  readonly group: string;
  /**
   * Fires when the leadership ends: its lease expired or was taken, could not be confirmed by
   * the renew deadline, or it was resigned. The reason is a LeadershipLostError. Work done as
   * the leader takes this signal and stops when it fires. Its `aborted`, `reason` and
   * `throwIfAborted()` answer from the clock: read past the renew deadline they say it ended
   * (`unconfirmed`) even if no timer has run since, as after a stall.
   */
  readonly signal: AbortSignal;
  /** Whether the leadership still holds, from the clock at the moment it is read (see `signal`). */
  readonly active: boolean;
  /** Ends the leadership and frees the lease at once so that another candidate takes over. */
  resign(): Promise<void>;
}

export interface CampaignOptions {
  /** Aborting stops campaigning; campaign() then rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface ObserveOptions {
  /** Aborting ends the iteration. */
  signal?: AbortSignal;
}

/**
 * One election group. Candidates campaign; at most one holds the lease at a time. A
 * backend that cannot be reached does not fail a campaign: it goes on trying.
 */
export interface LeaderElection {
  readonly group: string;
  readonly timing: ElectionTiming;
  /** Resolves once `candidateId` leads the group. */
  campaign(candidateId: string, options?: CampaignOptions): Promise<Leadership>;
  /** The current leader, or undefined; ElectionUnavailableError when the backend cannot answer. */
  leader(): Promise<LeaderInfo | undefined>;
  /**
   * The current leader (or undefined) at once, then each change: of leader or epoch, or its
   * `since` becoming known (recorded just after the win). While the backend cannot be reached
   * nothing is yielded (the last answer stands).
   */
  observe(options?: ObserveOptions): AsyncIterable<LeaderInfo | undefined>;
  /** Ends campaigns and leaderships of this instance (resigning them) and frees its connections. */
  close(): Promise<void>;
}

/**
 * Timing of an election, in ms (`performance.now()`, never the wall clock).
 *
 * - `ttlMs`: how long a lease lives unrenewed. A crashed leader is replaced within
 *   `ttlMs + retryIntervalMs` (Redis, memory: followers also wake when the lease runs out;
 *   etcd: within `ttlMs` + 0.5 s, the server's expiry check period).
 * - `renewDeadlineMs`: the leader demotes itself (its signal fires) when no renewal has
 *   confirmed its lease within this long of the last confirmation — before the lease can
 *   expire, so a leader that cannot reach the backend stops acting before anyone else starts.
 * - `retryIntervalMs`: how often followers try to take the lease, and how often a leader retries
 *   a failed renewal. Renewals go out every `ttlMs / 3`.
 */
export interface ElectionTiming {
  ttlMs: number;
  renewDeadlineMs: number;
  retryIntervalMs: number;
}

/**
 * Defaults for fast failover: a crashed leader is replaced in 1.3–2.2 s (the rest of its
 * lease, at most a TTL, less the renewal period it had used, plus one retry), a resigning one
 * within a retry interval (0.2 s). The leader renews every 667 ms, so two renewals and
 * three retries fit before it must give up at 1.4 s; the 600 ms from there to the lease's
 * end covers clock-rate drift and the time an abort takes to reach the work. A process
 * stalled longer than 1.4 s (GC, SIGSTOP) loses leadership — raise all three together for
 * heavier processes.
 */
export const DEFAULT_ELECTION_TIMING: Readonly<ElectionTiming> = Object.freeze({
  ttlMs: 2000,
  renewDeadlineMs: 1400,
  retryIntervalMs: 200,
});

/**
 * Fills in defaults and checks that the timing can work: `ttlMs ≥ 1.25 × renewDeadlineMs`
 * (a fifth of the TTL between demotion and expiry), `renewDeadlineMs ≥ ttlMs / 3 + 2 ×
 * retryIntervalMs` (the first renewal and two retries fit before the deadline),
 * `retryIntervalMs ≥ 10`. Throws InvalidElectionOptionsError naming the option.
 */
export function electionTiming(options: Partial<ElectionTiming> = {}): ElectionTiming {
  const ttlMs = options.ttlMs ?? DEFAULT_ELECTION_TIMING.ttlMs;
  const retryIntervalMs = options.retryIntervalMs ?? DEFAULT_ELECTION_TIMING.retryIntervalMs;
  const renewDeadlineMs =
    options.renewDeadlineMs ??
    (options.ttlMs === undefined ? DEFAULT_ELECTION_TIMING.renewDeadlineMs : Math.floor(ttlMs * 0.7));
  for (const [name, value] of Object.entries({ ttlMs, renewDeadlineMs, retryIntervalMs })) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw new InvalidElectionOptionsError(name, `must be a positive number of ms, got ${String(value)}`);
  }
  if (retryIntervalMs < 10)
    throw new InvalidElectionOptionsError(
      'retryIntervalMs',
      `must be at least 10 ms, got ${retryIntervalMs}`,
    );
  if (renewDeadlineMs * 1.25 > ttlMs)
    throw new InvalidElectionOptionsError(
      'renewDeadlineMs',
      `must leave a fifth of ttlMs before the lease ends (≤ ${Math.floor(ttlMs / 1.25)} for ttlMs ${ttlMs}), got ${renewDeadlineMs}`,
    );
  if (renewDeadlineMs < ttlMs / 3 + 2 * retryIntervalMs)
    throw new InvalidElectionOptionsError(
      'renewDeadlineMs',
      `must fit the first renewal (ttlMs / 3) and two retries (2 × retryIntervalMs): ≥ ${Math.ceil(ttlMs / 3 + 2 * retryIntervalMs)}, got ${renewDeadlineMs}`,
    );
  return { ttlMs, renewDeadlineMs, retryIntervalMs };
}

/** Group names and candidate ids: what a key or a log line can carry without escaping. */
export function validateName(option: 'group' | 'candidateId', value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9._:@-]{1,128}$/.test(value))
    throw new InvalidElectionOptionsError(
      option,
      `must be 1–128 characters of A–Z a–z 0–9 . _ : @ -, got ${JSON.stringify(value)}`,
    );
  return value;
}

/** What tells two observed leaders apart: candidate, epoch and `since` (it becomes known after the win). */
export function leaderIdentity(leader: LeaderInfo | undefined): string {
  return leader ? `${leader.candidateId}@${leader.epoch}@${leader.since?.getTime() ?? ''}` : '';
}

/** The record of when a leadership began: `<epoch>:<ms since 1970>` (Redis, etcd). */
export function leadershipRecord(epoch: bigint, since: Date): string {
  return `${epoch}:${since.getTime()}`;
}

/** A leadership record's epoch and start, or undefined when absent or unreadable. */
export function parseLeadershipRecord(
  record: string | null | undefined,
): { epoch: bigint; since: Date } | undefined {
  const match = record ? /^(\d+):(\d+)$/.exec(record) : null;
  return match ? { epoch: BigInt(match[1]), since: new Date(Number(match[2])) } : undefined;
}

/** The start a record gives, when it is the record of `epoch` (a stale one says nothing). */
export function sinceOf(record: string | null | undefined, epoch: bigint): Date | undefined {
  const parsed = parseLeadershipRecord(record);
  return parsed?.epoch === epoch ? parsed.since : undefined;
}

/** `info` with `since` when known (no `since: undefined` member). */
export function withSince(info: LeaderInfo, since: Date | undefined): LeaderInfo {
  return since ? { ...info, since } : info;
}
