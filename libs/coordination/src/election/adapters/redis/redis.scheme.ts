import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { REDIS_URL_QUERY, redisClientUrl } from '../../../lock/adapters/redis/redis.scheme.js';
import { inspectionTimeoutMs } from '../../../inspection.js';
import type { ElectionInspectors } from '../../election-inspector.js';
import type { ElectionBackends } from '../../leader-election.factory.js';
import { credentialsCheckedOrClosed } from '@nestmesh/common';

/**
 * `redis://` and `rediss://` (TLS): an election on one Redis (a quorum list is refused: the
 * election's epochs are one server's counter). ioredis is imported only when such a URL is used.
 */
export function registerRedisElectionSchemes(backends: ElectionBackends): void {
  backends.register(['redis', 'rediss'], {
    query: REDIS_URL_QUERY,
    create: async (urls, { group, timing, requestTimeoutMs: option }) => {
      const url = redisClientUrl(urls[0]);
      const requestTimeoutMs = agreedTimeoutMs(urls, { name: 'requestTimeoutMs', value: option });
      const { RedisLeaderElection } = await import('./redis.election.js');
      const election = new RedisLeaderElection({ url, group, timing, requestTimeoutMs });
      // A refused password stops the app at startup (BackendAuthError), not a silent campaign.
      return credentialsCheckedOrClosed(election);
    },
  });
}

/**
 * `redis://` and `rediss://` election inspection: reads the keys of RedisLeaderElection.
 * `?timeout=` is the deadline of each read (default 2000 ms). ioredis is imported only when
 * such a URL is used.
 */
export function registerRedisElectionInspector(inspectors: ElectionInspectors): void {
  inspectors.register(['redis', 'rediss'], {
    query: REDIS_URL_QUERY,
    create: async ([url]) => {
      const clientUrl = redisClientUrl(url);
      const timeoutMs = inspectionTimeoutMs([url]);
      const { RedisElectionInspector } = await import('./redis.election-inspector.js');
      return new RedisElectionInspector(clientUrl, timeoutMs);
    },
  });
}
