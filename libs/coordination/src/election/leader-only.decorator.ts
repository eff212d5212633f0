import { AsyncLocalStorage } from 'node:async_hooks';

import { InvalidElectionOptionsError } from '../coordination.errors.js';
import { gatedMethod, MethodGates } from '../gated-method.js';
import type { Leadership } from './leader-election.js';

export const LEADER_ONLY_METADATA = 'nestmesh:coordination:leader-only';

export interface LeaderOnlyOptions {
  /**
   * What a call does where it may not run — on a follower, or on a leader that is shutting
   * down: `'skip'` (default) resolves to undefined without running the method, right for
   * scheduled jobs that every instance fires; `'throw'` rejects with NotLeaderError (naming
   * the leader when the backend says who it is), right for requests a caller should redirect.
   */
  onFollower?: 'skip' | 'throw';
}

/** Runs leader-only work for the instances of one app: its LeaderElectionService. */
export interface LeaderGate {
  runAsLeader<T>(
    fn: (leadership: Leadership) => T | Promise<T>,
    options?: LeaderOnlyOptions,
    /** `Class.method`, for the skipped-call counter. */
    method?: string,
  ): Promise<T | undefined>;
}

export const leadershipContext = new AsyncLocalStorage<Leadership>();

/** Instance → the LeaderElectionService of its app; bound by LeaderElectionExplorer at module init. */
export const leaderOnlyMethods = new MethodGates<LeaderGate>(
  '@LeaderOnly',
  'LeaderElectionService (LeaderElectionModule)',
  LEADER_ONLY_METADATA,
);

/**
 * Runs the method only while this instance leads its group; elsewhere see
 * {@link LeaderOnlyOptions.onFollower}. The method returns a promise. Inside it,
 * `currentLeadership()` gives the epoch (the fencing value for writes) and the signal that
 * fires if the leadership ends mid-call. Calls in flight are waited for at shutdown before the
 * leader resigns. Works on providers and controllers of apps that import LeaderElectionModule.
 *
 * The method is wrapped here, when the class is defined, rather than when the app starts, so
 * that other decorators' explorers (`@Interval`, `@Cron`, gRPC handlers) always call the
 * wrapper whatever order they run in. A call on an instance that no such app has bound (or
 * before it initialised) rejects with MethodNotBoundError: leader-only work never runs ungated.
 */
export function LeaderOnly(options: LeaderOnlyOptions = {}) {
  if (options.onFollower !== undefined && options.onFollower !== 'skip' && options.onFollower !== 'throw')
    throw new InvalidElectionOptionsError(
      'onFollower',
      `of @LeaderOnly() is 'skip' or 'throw', got ${String(options.onFollower)}`,
    );
  return gatedMethod(leaderOnlyMethods, options, (gate, call, _args, method) =>
    gate.runAsLeader(call, options, method),
  );
}

/**
 * The leadership the current `@LeaderOnly` call or `@OnLeaderElected` hook runs under, or
 * undefined outside one. Writes made under it carry `epoch`; work stops when `signal` fires.
 */
export function currentLeadership(): Leadership | undefined {
  return leadershipContext.getStore();
}
