import { BackendRegistry } from '@nestmesh/common';

import { InvalidElectionOptionsError } from '../coordination.errors.js';
import type { LeaseBackend } from '../lock/lock-backend.js';
import { registerEtcdElectionScheme } from './adapters/etcd/etcd.scheme.js';
import { registerMemoryElectionScheme } from './adapters/memory/memory.scheme.js';
import { registerRedisClusterElectionScheme } from './adapters/redis/redis-cluster.scheme.js';
import { registerRedisElectionSchemes } from './adapters/redis/redis.scheme.js';
import { registerRedisSentinelElectionScheme } from './adapters/redis/redis-sentinel.scheme.js';
import { registerZookeeperElectionScheme } from './adapters/zookeeper/zookeeper.scheme.js';
import { electionTiming, validateName, type ElectionTiming, type LeaderElection } from './leader-election.js';
import { LeaseLeaderElection } from './lease-election.js';

export interface LeaderElectionOptions extends Partial<ElectionTiming> {
  /** The election group: candidates of one group elect one leader. */
  group: string;
  /**
   * Where the election lives: `memory://` (this process), `redis://[user:password@]host:6379[/db]`
   * (`rediss://` for TLS), `etcd://[user:password@]host:2379[,host:2379…]`,
   * `zk://host:2181[,host:2181…][/chroot]`, or a registered
   * third-party scheme (see `electionBackends`). Default: ELECTION_URL, else REDIS_URL, else
   * memory.
   */
  url?: string;
  /** A lease backend to run the election on instead of a URL (memory, Redis). */
  backend?: LeaseBackend;
  /** Deadline of each backend request, in ms. Default 500 (Redis) / 1000 (etcd, ZooKeeper). Or `?timeout=` in the URL. */
  requestTimeoutMs?: number;
}

/** What an election scheme's factory gets besides its URL. */
export interface ElectionBackendOptions {
  readonly group: string;
  /** Complete and checked (electionTiming) before any backend is built. */
  readonly timing: ElectionTiming;
  /**
   * The `requestTimeoutMs` option, in ms; undefined for the backend's default. A scheme that
   * also reads `?timeout=` refuses the two disagreeing.
   */
  readonly requestTimeoutMs?: number;
}

/**
 * Election URL scheme → election, as grpc-js registers resolvers: `memory://`, `redis://` /
 * `rediss://`, `etcd://` and `zk://` are built in, each importing its adapter (and its SDK) only when
 * a URL names it. A third party registers its own scheme before the module is built
 * (docs/coordination.md, "Third-party backends"). An unknown scheme or query option fails
 * with InvalidElectionOptionsError (`option: 'url'`), which lists the known schemes and never
 * shows a password.
 */
export const electionBackends = new BackendRegistry<ElectionBackendOptions, LeaderElection>(
  'election',
  (message) => new InvalidElectionOptionsError('url', `is unusable: ${message}`),
);
/** The type of {@link electionBackends}, for a scheme's registration function. */
export type ElectionBackends = typeof electionBackends;
registerMemoryElectionScheme(electionBackends);
registerRedisElectionSchemes(electionBackends);
registerRedisSentinelElectionScheme(electionBackends);
registerRedisClusterElectionScheme(electionBackends);
registerEtcdElectionScheme(electionBackends);
registerZookeeperElectionScheme(electionBackends);

/**
 * The election the options name: on `backend` as given, else on the backend of `url`, else of
 * ELECTION_URL, else of REDIS_URL, else in memory. The group and timing are checked before
 * anything is built, so bad options never leave a connection open.
 */
export async function createLeaderElection(options: LeaderElectionOptions): Promise<LeaderElection> {
  const { group, url, backend, requestTimeoutMs, ...given } = options;
  validateName('group', group);
  const timing = electionTiming(given);
  if (
    requestTimeoutMs !== undefined &&
    (typeof requestTimeoutMs !== 'number' || !Number.isFinite(requestTimeoutMs) || requestTimeoutMs <= 0)
  )
    throw new InvalidElectionOptionsError(
      'requestTimeoutMs',
      `must be a positive number of ms, got ${String(requestTimeoutMs)}`,
    );
  if (backend) return new LeaseLeaderElection(backend, group, timing);
  const named = url ?? process.env.ELECTION_URL ?? process.env.REDIS_URL ?? 'memory://';
  return electionBackends.create(named, { group, timing, requestTimeoutMs });
}
