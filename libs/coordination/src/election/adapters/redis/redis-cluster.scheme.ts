import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { inspectionTimeoutMs } from '../../../inspection.js';
import { REDIS_CLUSTER_SCHEMES } from '../../../lock/adapters/redis/redis-cluster.options.js';
import {
  REDIS_CLUSTER_URL_QUERY,
  redisClusterClientUrl,
} from '../../../lock/adapters/redis/redis-cluster.scheme.js';
import { replicaAcksOf } from '../../../lock/adapters/redis/redis-sentinel.options.js';
import type { ElectionInspectors } from '../../election-inspector.js';
import type { ElectionBackends } from '../../leader-election.factory.js';
import { credentialsCheckedOrClosed } from '@nestmesh/common';

/**
 * `redis+cluster://host:port[,host:port…]`: an election on a Redis Cluster (the group's lease,
 * epoch counter and since record share one hash slot, so one primary serves the group).
 */
export function registerRedisClusterElectionScheme(backends: ElectionBackends): void {
  backends.register(REDIS_CLUSTER_SCHEMES, {
    query: REDIS_CLUSTER_URL_QUERY,
    create: async ([url], { group, timing, requestTimeoutMs: option }) => {
      const clientUrl = redisClusterClientUrl(url);
      const requestTimeoutMs = agreedTimeoutMs([url], { name: 'requestTimeoutMs', value: option });
      const { RedisLeaderElection } = await import('./redis.election.js');
      const election = new RedisLeaderElection({
        url: clientUrl,
        group,
        timing,
        requestTimeoutMs,
        replicaAcks: replicaAcksOf(url),
      });
      return credentialsCheckedOrClosed(election);
    },
  });
}

/** `redis+cluster://` election inspection (SCAN on every primary); `?timeout=` per read (default 2000 ms). */
export function registerRedisClusterElectionInspector(inspectors: ElectionInspectors): void {
  inspectors.register(REDIS_CLUSTER_SCHEMES, {
    query: REDIS_CLUSTER_URL_QUERY,
    create: async ([url]) => {
      const clientUrl = redisClusterClientUrl(url);
      const timeoutMs = inspectionTimeoutMs([url]);
      const { RedisElectionInspector } = await import('./redis.election-inspector.js');
      return new RedisElectionInspector(clientUrl, timeoutMs);
    },
  });
}
