import { setTimeout as sleep } from 'node:timers/promises';
import { BackendRegistry } from '@nestmesh/common';

import { InvalidElectionOptionsError } from '../coordination.errors.js';
import { registerEtcdElectionInspector } from './adapters/etcd/etcd.scheme.js';
import { registerMemoryElectionInspector } from './adapters/memory/memory.scheme.js';
import { registerRedisClusterElectionInspector } from './adapters/redis/redis-cluster.scheme.js';
import { registerRedisElectionInspector } from './adapters/redis/redis.scheme.js';
import { registerRedisSentinelElectionInspector } from './adapters/redis/redis-sentinel.scheme.js';
import { leaderIdentity, type LeaderInfo } from './leader-election.js';

/** One election group as operator tools see it. */
export interface ElectionGroupState {
  readonly group: string;
  /** The current leader, or undefined when the lease is free (the group has had leaders). */
  readonly leader?: LeaderInfo;
  /** The highest epoch ever issued in the group. */
  readonly lastEpoch: bigint;
}

/**
 * A read-only view of an election backend, for operator tools (`nestmesh leader`, the mesh
 * dashboard): it never campaigns, renews or resigns. Reads reject with
 * ElectionUnavailableError when the backend cannot answer, and with the signal's reason at
 * once when `signal` aborts.
 */
export interface ElectionInspector {
  /** Every group that has ever elected (still known to the backend), sorted. */
  groups(options?: { signal?: AbortSignal }): Promise<string[]>;
  /** The group's state, or undefined when the backend has never heard of the group. */
  group(name: string, options?: { signal?: AbortSignal }): Promise<ElectionGroupState | undefined>;
  /**
   * The group's state now, then after every change (leader, epoch, the leader's `since` once
   * recorded), polled every {@link ELECTION_WATCH_INTERVAL_MS}. The first read rejects as
   * group() does; later outages are ridden out (the last state stands). Aborting `signal`, or
   * leaving the loop, ends it and clears its timer.
   */
  watch(name: string, options?: { signal?: AbortSignal }): AsyncIterable<ElectionGroupState | undefined>;
  /** Frees its connections. */
  close(): Promise<void>;
}

/** How often watch() reads the group, in ms: a leader change shows within this. */
export const ELECTION_WATCH_INTERVAL_MS = 250;

/** What tells two states apart: leader (candidate, epoch, since) and last epoch. */
function stateIdentity(state: ElectionGroupState | undefined): string {
  return state ? `${leaderIdentity(state.leader)}#${state.lastEpoch}` : 'unknown';
}

/** The skeleton of every built-in inspector: watch() polls group(). */
export abstract class PollingElectionInspector implements ElectionInspector {
  abstract groups(options?: { signal?: AbortSignal }): Promise<string[]>;
  abstract group(name: string, options?: { signal?: AbortSignal }): Promise<ElectionGroupState | undefined>;
  abstract close(): Promise<void>;

  async *watch(
    name: string,
    { signal }: { signal?: AbortSignal } = {},
  ): AsyncIterable<ElectionGroupState | undefined> {
    let state = await this.group(name, { signal });
    let last: string | undefined;
    for (;;) {
      const identity = stateIdentity(state);
      if (identity !== last) {
        last = identity;
        yield state;
      }
      try {
        await sleep(ELECTION_WATCH_INTERVAL_MS, undefined, { signal });
        state = await this.group(name, { signal });
      } catch {
        if (signal?.aborted) return;
        // Unreachable for this read: the last state stands.
      }
    }
  }
}

/**
 * Election URL scheme → inspector, as {@link electionBackends} maps schemes to elections:
 * `memory://`, `redis://` / `rediss://` and `etcd://` are built in; a third-party election
 * scheme may register its own.
 */
export const electionInspectors = new BackendRegistry<Record<string, never>, ElectionInspector>(
  'election',
  (message) => new InvalidElectionOptionsError('url', `is unusable: ${message}`),
);
/** The type of {@link electionInspectors}, for a scheme's registration function. */
export type ElectionInspectors = typeof electionInspectors;
registerMemoryElectionInspector(electionInspectors);
registerRedisElectionInspector(electionInspectors);
registerRedisSentinelElectionInspector(electionInspectors);
registerRedisClusterElectionInspector(electionInspectors);
registerEtcdElectionInspector(electionInspectors);

/**
 * An inspector of the elections `url` names: `memory://` (the elections of this process made
 * from `memory://`), `redis[s]://host:6379[/db][?timeout=<ms>]`,
 * `etcd://host:2379[,host:2379…][?timeout=<ms>]` (default timeout 2000 ms). It does not connect
 * until asked; an unknown scheme or a malformed URL is InvalidElectionOptionsError.
 */
export function createElectionInspector(url: string): Promise<ElectionInspector> {
  return electionInspectors.create(url, {});
}
