import { Inject, Injectable, Logger } from '@nestjs/common';
import type {
  BeforeApplicationShutdown,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';

import { LeadershipLostError, NotLeaderError } from '../coordination.errors.js';
import { CandidacyTelemetry } from './election.telemetry.js';
import type { LeaderInfo, Leadership, ObserveOptions } from './leader-election.js';
import {
  DEFAULT_LEADER_DRAIN_TIMEOUT_MS,
  defaultCandidateId,
  LEADER_ELECTION_MODULE_OPTIONS,
  LeaderElection,
  type LeaderElectionModuleOptions,
} from './leader-election.module-definition.js';
import type { LeaderElectedHook, LeaderRevokedHook } from './leader-hooks.decorator.js';
import { leadershipContext, type LeaderGate, type LeaderOnlyOptions } from './leader-only.decorator.js';
import { LeaderWork, settledWithin } from './leader-work.js';

/** What an operator asks: who am I, do I lead, who leads (as the backend says). */
export interface LeaderElectionStatus {
  group: string;
  candidateId: string;
  isLeader: boolean;
  /** This instance's epoch, while it leads. */
  epoch?: bigint;
  /** The group's leader as the backend reports it; absent when nobody leads. */
  leader?: LeaderInfo;
}

interface Named<Hook> {
  name: string;
  hook: Hook;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Resolves with the signal's reason once it fires. */
function ended(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

/**
 * This instance's candidacy in one group. From application bootstrap (never blocking it) it
 * campaigns; once elected it runs the `@OnLeaderElected` hooks, waits for the leadership to
 * end, runs the `@OnLeaderRevoked` hooks, and campaigns again. At shutdown
 * (`beforeApplicationShutdown`, before servers and schedulers stop) it stops campaigning and
 * admitting leader-only calls, waits for those in flight, and only then resigns: the next
 * leader never overlaps with work still running here.
 */
@Injectable()
export class LeaderElectionService
  implements LeaderGate, OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  readonly group: string;
  readonly candidateId: string;
  private readonly drainTimeoutMs: number;
  private readonly logger: Logger;
  private readonly electedHooks: Named<LeaderElectedHook>[] = [];
  private readonly revokedHooks: Named<LeaderRevokedHook>[] = [];
  /** Fires when shutdown begins: no more campaigns, no new leader-only calls. */
  private readonly stopping = new AbortController();
  private current: Leadership | undefined;
  private loop: Promise<void> | undefined;
  private readonly work = new LeaderWork();
  private readonly telemetry: CandidacyTelemetry;

  constructor(
    @Inject(LEADER_ELECTION_MODULE_OPTIONS) private readonly options: LeaderElectionModuleOptions,
    @Inject(LeaderElection) private readonly election: LeaderElection,
  ) {
    this.group = election.group;
    this.candidateId = options.candidateId ?? defaultCandidateId();
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_LEADER_DRAIN_TIMEOUT_MS;
    this.logger = new Logger(`LeaderElection ${this.group}`);
    this.telemetry = new CandidacyTelemetry(this.group, this.candidateId, () => this.isLeader);
  }

  /** Whether this instance holds the leadership now (also while it drains at shutdown). */
  get isLeader(): boolean {
    return this.current?.active === true;
  }

  /** The leadership this instance holds, or undefined. */
  get leadership(): Leadership | undefined {
    return this.current?.active ? this.current : undefined;
  }

  /** The group's leader as the backend says; ElectionUnavailableError when it cannot answer. */
  leader(): Promise<LeaderInfo | undefined> {
    return this.election.leader();
  }

  /** The leader at once, then each change; see {@link LeaderElection.observe}. */
  observe(options?: ObserveOptions): AsyncIterable<LeaderInfo | undefined> {
    return this.election.observe(options);
  }

  /** For operators; rejects with ElectionUnavailableError when the backend cannot answer. */
  async status(): Promise<LeaderElectionStatus> {
    const leader = await this.election.leader();
    const own = this.leadership;
    return {
      group: this.group,
      candidateId: this.candidateId,
      isLeader: own !== undefined,
      ...(own && { epoch: own.epoch }),
      ...(leader && { leader }),
    };
  }

  /** Adds a hook in code, as `@OnLeaderElected()` does on a provider method. */
  onElected(hook: LeaderElectedHook, name = hook.name || 'hook'): void {
    this.electedHooks.push({ name, hook });
  }

  /** Adds a hook in code, as `@OnLeaderRevoked()` does on a provider method. */
  onRevoked(hook: LeaderRevokedHook, name = hook.name || 'hook'): void {
    this.revokedHooks.push({ name, hook });
  }

  /**
   * Runs `fn` as the leader — what `@LeaderOnly` does: inside it `currentLeadership()` is the
   * leadership, and shutdown waits for it before resigning. Where it may not run, resolves
   * to undefined (`onFollower: 'skip'`, default) or rejects with NotLeaderError (`'throw'`);
   * either way it counts in `nestmesh.leader_only.skipped` (by `method`, `Class.method`).
   */
  runAsLeader<T>(
    fn: (leadership: Leadership) => T | Promise<T>,
    { onFollower = 'skip' }: LeaderOnlyOptions = {},
    method?: string,
  ): Promise<T | undefined> {
    const leadership = this.admit();
    if (!leadership) {
      this.telemetry.skipped(onFollower, method);
      return onFollower === 'throw' ? this.notLeader() : Promise.resolve(undefined);
    }
    return this.work.track(leadershipContext.run(leadership, async () => fn(leadership)));
  }

  onApplicationBootstrap(): void {
    this.telemetry.start();
    this.loop ??= this.campaignLoop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const leadership = this.leadership;
    this.stopping.abort(new LeadershipLostError(this.group, leadership?.epoch ?? 0n, 'resigned'));
    if (leadership) {
      if (!(await this.work.drain(this.drainTimeoutMs)))
        this.logger.warn(
          `drain timed out after ${this.drainTimeoutMs} ms, ${this.work.size} still running; resigning`,
        );
      await leadership.resign().catch((error) => this.logger.error(`resign failed: ${message(error)}`));
    }
    if (this.loop && !(await settledWithin(this.loop, this.drainTimeoutMs)))
      this.logger.warn(`@OnLeaderRevoked hooks still running after ${this.drainTimeoutMs} ms`);
  }

  async onApplicationShutdown(): Promise<void> {
    this.telemetry.stop();
    if (!this.options.election) await this.election.close();
  }

  /** The leadership a new leader-only call may run under, or undefined. */
  private admit(): Leadership | undefined {
    const leadership = this.leadership;
    // While draining, only calls made from within work already admitted (nested calls).
    if (this.stopping.signal.aborted && leadershipContext.getStore() !== leadership) return undefined;
    return leadership;
  }

  private async notLeader(): Promise<never> {
    const leader = await this.election.leader().catch(() => undefined);
    const other = leader && leader.candidateId !== this.candidateId ? leader.candidateId : undefined;
    throw new NotLeaderError(this.group, other);
  }

  private async campaignLoop(): Promise<void> {
    const stop = this.stopping.signal;
    let lastError: string | undefined;
    while (!stop.aborted) {
      let leadership: Leadership;
      try {
        leadership = await this.telemetry.campaign(
          () => this.election.campaign(this.candidateId, { signal: stop }),
          stop,
        );
      } catch (error) {
        if (stop.aborted) return;
        // Only a closed or broken election rejects a campaign: say so once, and do not spin.
        const reason = message(error);
        if (reason !== lastError) this.logger.error(`campaign failed: ${reason}`);
        lastError = reason;
        await sleep(this.election.timing.retryIntervalMs, undefined, { signal: stop }).catch(() => undefined);
        continue;
      }
      lastError = undefined;
      await this.lead(leadership);
    }
  }

  private async lead(leadership: Leadership): Promise<void> {
    if (this.stopping.signal.aborted) {
      // Won as shutdown began: nothing ran under it, hand it back at once.
      await leadership.resign().catch(() => undefined);
      return;
    }
    this.current = leadership;
    const revoked = this.telemetry.lead(leadership);
    this.logger.log(`elected epoch=${leadership.epoch} (${this.candidateId})`);
    this.startElectedHooks(leadership);
    const reason = await ended(leadership.signal);
    this.current = undefined;
    const why = reason instanceof LeadershipLostError ? reason.why : message(reason);
    revoked(why);
    const level = why === 'resigned' || why === 'closed' ? 'log' : 'warn';
    this.logger[level](`revoked epoch=${leadership.epoch}: ${why}`);
    await Promise.all(
      this.revokedHooks.map(({ name, hook }) =>
        this.runHook('@OnLeaderRevoked', name, () => hook(leadership.epoch, reason as LeadershipLostError)),
      ),
    );
  }

  private startElectedHooks(leadership: Leadership): void {
    const signal = AbortSignal.any([leadership.signal, this.stopping.signal]);
    for (const { name, hook } of this.electedHooks) {
      // Not awaited: the hooks run while this leadership lasts, and shutdown drains them through
      // `work`. runHook logs a hook's failure itself and never rejects.
      void this.work.track(
        leadershipContext.run(leadership, () =>
          this.runHook('@OnLeaderElected', name, () => hook(leadership.epoch, signal)),
        ),
      );
    }
  }

  private async runHook(kind: string, name: string, run: () => unknown): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.logger.error(
        `${kind} ${name} failed: ${message(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }
}
