import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { inspectionTimeoutMs } from '../../../inspection.js';
import { redisSentinelClientUrl } from '../../../lock/adapters/redis/redis-sentinel.scheme.js';
import {
  REDIS_SENTINEL_QUERY,
  REDIS_SENTINEL_SCHEME,
  replicaAcksOf,
} from '../../../lock/adapters/redis/redis-sentinel.options.js';
import type { ElectionInspectors } from '../../election-inspector.js';
import type { ElectionBackends } from '../../leader-election.factory.js';
import { credentialsCheckedOrClosed } from '@nestmesh/common';

/**
 * `redis+sentinel://`: an election on the primary the Sentinels name (RedisLeaderElection;
 * ioredis follows every failover). ioredis is imported only when such a URL is used.
 */
export function registerRedisSentinelElectionScheme(backends: ElectionBackends): void {
  backends.register(REDIS_SENTINEL_SCHEME, {
    query: REDIS_SENTINEL_QUERY,
    create: async (urls, { group, timing, requestTimeoutMs: option }) => {
      const url = redisSentinelClientUrl(urls[0]);
      const requestTimeoutMs = agreedTimeoutMs(urls, { name: 'requestTimeoutMs', value: option });
      const { RedisLeaderElection } = await import('./redis.election.js');
      const replicaAcks = replicaAcksOf(urls[0]);
      const election = new RedisLeaderElection({ url, group, timing, requestTimeoutMs, replicaAcks });
      // A refused password stops the app at startup (BackendAuthError), not a silent campaign.
      return credentialsCheckedOrClosed(election);
    },
  });
}

/**
 * `redis+sentinel://` election inspection: reads RedisLeaderElection's keys on the current
 * primary. `?timeout=` is the deadline of each read (default 2000 ms).
 */
export function registerRedisSentinelElectionInspector(inspectors: ElectionInspectors): void {
  inspectors.register(REDIS_SENTINEL_SCHEME, {
    query: REDIS_SENTINEL_QUERY,
    create: async ([url]) => {
      const clientUrl = redisSentinelClientUrl(url);
      const timeoutMs = inspectionTimeoutMs([url]);
      const { RedisElectionInspector } = await import('./redis.election-inspector.js');
      return new RedisElectionInspector(clientUrl, timeoutMs);
    },
  });
}
