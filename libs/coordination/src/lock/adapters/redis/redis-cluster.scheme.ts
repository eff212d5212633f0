import type { BackendUrl } from '@nestmesh/common';
import { credentialsCheckedOrClosed } from '@nestmesh/common';

import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { inspectionTimeoutMs } from '../../../inspection.js';
import type { LockBackends } from '../../lock-backend.factory.js';
import type { LockInspectors } from '../../lock-inspector.js';
import {
  REDIS_CLUSTER_QUERY,
  REDIS_CLUSTER_SCHEMES,
  redisClusterOptionsOf,
} from './redis-cluster.options.js';
import { replicaAcksOf } from './redis-sentinel.options.js';

/** The query a `redis+cluster://` URL takes (see REDIS_CLUSTER_QUERY). */
export const REDIS_CLUSTER_URL_QUERY = REDIS_CLUSTER_QUERY;

/**
 * The URL a cluster client of this lib is given for `url`: the same seeds and credentials,
 * without `timeout` (read here, not by the connection). Checked now, through
 * redisClusterOptionsOf, so that a bad URL fails at startup.
 */
export function redisClusterClientUrl(url: BackendUrl): string {
  redisClusterOptionsOf(url);
  const { credentials } = url;
  const userInfo = credentials
    ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`
    : '';
  return `${url.scheme}://${userInfo}${url.hosts.join(',')}`;
}

/**
 * `redis+cluster://host:port[,host:port…]`: locks on a Redis Cluster, by RedisLockBackend over
 * ioredis' Cluster client (a lock's keys share one hash slot: see LOCK_KEY_PREFIX). One URL:
 * a Redlock quorum of clusters is not offered. `rediss+cluster://` is registered so that it is
 * refused with its reason, not as an unknown scheme.
 */
export function registerRedisClusterLockScheme(backends: LockBackends): void {
  backends.register(REDIS_CLUSTER_SCHEMES, {
    query: REDIS_CLUSTER_URL_QUERY,
    create: async ([url], { commandTimeoutMs: option }) => {
      const clientUrl = redisClusterClientUrl(url);
      const commandTimeoutMs = agreedTimeoutMs([url], { name: 'commandTimeoutMs', value: option });
      const { RedisLockBackend } = await import('./redis.lock-backend.js');
      const backend = new RedisLockBackend({
        url: clientUrl,
        commandTimeoutMs,
        replicaAcks: replicaAcksOf(url),
      });
      // A refused password stops the app at startup (BackendAuthError), not at the first lock.
      return credentialsCheckedOrClosed(backend);
    },
  });
}

/** `redis+cluster://` lock inspection: SCAN on every primary; `?timeout=` per read (default 2000 ms). */
export function registerRedisClusterLockInspector(inspectors: LockInspectors): void {
  inspectors.register(REDIS_CLUSTER_SCHEMES, {
    query: REDIS_CLUSTER_URL_QUERY,
    create: async ([url]) => {
      const clientUrl = redisClusterClientUrl(url);
      const timeoutMs = inspectionTimeoutMs([url]);
      const { RedisLockInspector } = await import('./redis.lock-inspector.js');
      return new RedisLockInspector([clientUrl], timeoutMs);
    },
  });
}
