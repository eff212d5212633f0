import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@nestjs/common';

import { NotLeaderError } from '../coordination.errors.js';
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
  ): Promise<T | undefined>;
}

export const leadershipContext = new AsyncLocalStorage<Leadership>();

/** Instance → the gate of the app it belongs to (set when the app initialises). */
const gates = new WeakMap<object, LeaderGate>();
const warnedUnbound = new Set<string>();
const logger = new Logger('LeaderElection');

export function bindLeaderGate(instance: object, gate: LeaderGate): void {
  gates.set(instance, gate);
}

/**
 * Runs the method only while this instance leads its group; elsewhere see
 * {@link LeaderOnlyOptions.onFollower}. The method returns a promise. Inside it,
 * `currentLeadership()` gives the epoch (the fencing value for writes) and the signal that
 * fires if the leadership ends mid-call. Calls in flight are waited for at shutdown before the
 * leader resigns. Works on providers and controllers of apps that import LeaderElectionModule.
 *
 * The method is wrapped here, when the class is defined, rather than when the app starts, so
 * that other decorators' explorers (`@Interval`, `@Cron`, gRPC handlers) always call the
 * wrapper whatever order they run in. An instance outside such an app never runs the method
 * (a warning is logged): leader-only work fails closed.
 */
export function LeaderOnly(options: LeaderOnlyOptions = {}) {
  return <T>(target: object, property: string | symbol, descriptor: TypedPropertyDescriptor<T>) => {
    const original = descriptor.value as unknown;
    const name = `${target.constructor.name}.${String(property)}`;
    if (typeof original !== 'function')
      throw new TypeError(`@LeaderOnly() decorates methods; ${name} is not one`);
    if (options.onFollower !== undefined && options.onFollower !== 'skip' && options.onFollower !== 'throw')
      throw new TypeError(
        `@LeaderOnly() on ${name}: onFollower is 'skip' or 'throw', got ${String(options.onFollower)}`,
      );
    const leaderOnly = function (this: unknown, ...args: unknown[]): Promise<unknown> {
      const gate = typeof this === 'object' && this !== null ? gates.get(this) : undefined;
      if (!gate) return unbound(name, options);
      return gate.runAsLeader(() => original.apply(this, args) as unknown, options);
    };
    // Metadata of decorators applied before this one (gRPC patterns, @Interval) stays visible.
    for (const key of Reflect.getOwnMetadataKeys(original)) {
      Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), leaderOnly);
    }
    Reflect.defineMetadata(LEADER_ONLY_METADATA, options, leaderOnly);
    Object.defineProperty(leaderOnly, 'name', { value: original.name });
    descriptor.value = leaderOnly as T;
    return descriptor;
  };
}

function unbound(name: string, { onFollower = 'skip' }: LeaderOnlyOptions): Promise<undefined> {
  if (!warnedUnbound.has(name)) {
    warnedUnbound.add(name);
    logger.warn(
      `${name} is @LeaderOnly but its instance is in no app with LeaderElectionModule: it does not run`,
    );
  }
  return onFollower === 'throw'
    ? Promise.reject(new NotLeaderError('(none)', undefined))
    : Promise.resolve(undefined);
}

/**
 * The leadership the current `@LeaderOnly` call or `@OnLeaderElected` hook runs under, or
 * undefined outside one. Writes made under it carry `epoch`; work stops when `signal` fires.
 */
export function currentLeadership(): Leadership | undefined {
  return leadershipContext.getStore();
}
