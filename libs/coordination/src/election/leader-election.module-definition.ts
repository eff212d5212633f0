import { ConfigurableModuleBuilder } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { InvalidElectionOptionsError } from '../coordination.errors.js';
import type { LeaderElection as LeaderElectionContract } from './leader-election.js';
import { validateName } from './leader-election.js';
import { createLeaderElection, type LeaderElectionOptions } from './leader-election.factory.js';

/** The election a LeaderElectionModule runs: the interface, and its injection token. */
export type LeaderElection = LeaderElectionContract;
export const LeaderElection = Symbol.for('nestmesh.coordination.LeaderElection');

/** How long shutdown waits for in-flight leader-only work before resigning, in ms. */
export const DEFAULT_LEADER_DRAIN_TIMEOUT_MS = 10_000;

export interface LeaderElectionModuleOptions extends Omit<LeaderElectionOptions, 'backend'> {
  /**
   * This instance's name in the group, as `leader()` reports it. Default
   * `<hostname>-<pid>-<6 hex>` (the random part tells a restarted process from its predecessor).
   */
  candidateId?: string;
  /**
   * At shutdown, how long to wait for in-flight `@LeaderOnly` calls and `@OnLeaderElected`
   * work before resigning anyway, in ms. Default 10 000.
   */
  drainTimeoutMs?: number;
  /**
   * A ready election to campaign in (tests, a custom backend) instead of `url`. Its `group`
   * must equal `group`; timing comes from it, so `ttlMs`/`renewDeadlineMs`/`retryIntervalMs`/
   * `url`/`requestTimeoutMs` must not be given. The module does not close it: its owner does.
   */
  election?: LeaderElection;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: LEADER_ELECTION_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<LeaderElectionModuleOptions>({ moduleName: 'LeaderElection' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();

/** `<hostname>-<pid>-<6 hex>`, with characters a candidate id cannot carry replaced by `-`. */
export function defaultCandidateId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9._:@-]/g, '-')
      .slice(0, 100) || 'host';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Options that make an election: meaningless with a ready one. */
const ELECTION_MAKING_OPTIONS = [
  'url',
  'ttlMs',
  'renewDeadlineMs',
  'retryIntervalMs',
  'requestTimeoutMs',
] as const;

/** Checks the options a LeaseLeaderElection does not; throws InvalidElectionOptionsError naming the option. */
function validateModuleOptions(options: LeaderElectionModuleOptions): void {
  validateName('group', options.group);
  if (options.candidateId !== undefined) validateName('candidateId', options.candidateId);
  const { drainTimeoutMs = DEFAULT_LEADER_DRAIN_TIMEOUT_MS } = options;
  if (typeof drainTimeoutMs !== 'number' || !Number.isFinite(drainTimeoutMs) || drainTimeoutMs < 0)
    throw new InvalidElectionOptionsError(
      'drainTimeoutMs',
      `must be a number of ms ≥ 0, got ${String(drainTimeoutMs)}`,
    );
  if (options.election) {
    if (options.election.group !== options.group)
      throw new InvalidElectionOptionsError(
        'group',
        `must equal the given election's group "${options.election.group}", got "${options.group}"`,
      );
    for (const option of ELECTION_MAKING_OPTIONS) {
      if (options[option] !== undefined)
        throw new InvalidElectionOptionsError(
          option,
          'cannot be given with a ready election (it has its own)',
        );
    }
  }
}

/** The election the module options name: the given one, or one made from url/timing (validated). */
export async function electionFromOptions(options: LeaderElectionModuleOptions): Promise<LeaderElection> {
  validateModuleOptions(options);
  if (options.election) return options.election;
  const { group, url, ttlMs, renewDeadlineMs, retryIntervalMs, requestTimeoutMs } = options;
  return createLeaderElection({ group, url, ttlMs, renewDeadlineMs, retryIntervalMs, requestTimeoutMs });
}
