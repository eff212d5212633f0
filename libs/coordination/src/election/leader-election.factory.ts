import { InvalidElectionOptionsError } from '../coordination.errors.js';
import { MemoryLockBackend } from '../lock/adapters/memory/memory.lock-backend.js';
import type { LeaseBackend } from '../lock/lock-backend.js';
import type { ElectionTiming, LeaderElection } from './leader-election.js';
import { LeaseLeaderElection } from './lease-election.js';

export interface LeaderElectionOptions extends Partial<ElectionTiming> {
  /** The election group: candidates of one group elect one leader. */
  group: string;
  /**
   * Where the election lives: `memory://` (this process), `redis://host:6379`, or
   * `etcd://host:2379[,host2:2379]`. Default: ELECTION_URL, else REDIS_URL, else memory.
   */
  url?: string;
  /** A lease backend to run the election on instead of a URL (memory, Redis). */
  backend?: LeaseBackend;
  /** Deadline of each backend request, in ms. Default 500 (Redis) / 1000 (etcd). */
  requestTimeoutMs?: number;
}

/** Memory elections of one process share one backend: two candidates in one process compete. */
const processMemory = new MemoryLockBackend();

/** The election the options (or ELECTION_URL / REDIS_URL) name; SDKs load only when named. */
export async function createLeaderElection(options: LeaderElectionOptions): Promise<LeaderElection> {
  const { group, url: givenUrl, backend, requestTimeoutMs, ...timing } = options;
  if (backend) return new LeaseLeaderElection(backend, group, timing);
  const url = (givenUrl ?? process.env.ELECTION_URL ?? process.env.REDIS_URL ?? 'memory://').trim();
  const scheme = /^([a-z0-9+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'memory') return new LeaseLeaderElection(processMemory, group, timing);
  if (scheme === 'redis' || scheme === 'rediss') {
    if (url.includes(','))
      throw new InvalidElectionOptionsError('url', `one Redis URL, not a list (got "${url}")`);
    const { RedisLockBackend } = await import('../lock/adapters/redis/redis.lock-backend.js');
    const redis = new RedisLockBackend({
      url,
      prefix: 'nestmesh:election:',
      announceReleases: true,
      commandTimeoutMs: requestTimeoutMs ?? 500,
    });
    return new LeaseLeaderElection(redis, group, timing, true);
  }
  if (scheme === 'etcd') {
    const hosts = url
      .slice('etcd://'.length)
      .split(',')
      .map((host) => host.trim())
      .filter(Boolean)
      .map((host) => `http://${host}`);
    if (hosts.length === 0) throw new InvalidElectionOptionsError('url', `no etcd host in "${url}"`);
    const { EtcdLeaderElection } = await import('./adapters/etcd/etcd.election.js');
    return new EtcdLeaderElection({ hosts, group, timing, requestTimeoutMs });
  }
  throw new InvalidElectionOptionsError(
    'url',
    `"${url}" is not memory://, redis://host:port or etcd://host:port[,host:port]`,
  );
}
