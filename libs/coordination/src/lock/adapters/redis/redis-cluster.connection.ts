import type { BackendUrl } from '@nestmesh/common';
import { Cluster, type RedisOptions } from 'ioredis';

import { redisClusterOptionsOf } from './redis-cluster.options.js';

/**
 * ioredis' Cluster client for a `redis+cluster://` URL, given the options a caller would give
 * one Redis: `enableOfflineQueue` and `lazyConnect` apply to the cluster client, the rest to
 * the connection to each node; `retry` is the reconnection backoff (the cluster's, since it
 * reconnects as a whole).
 */
export function createRedisCluster(
  url: BackendUrl,
  options: RedisOptions,
  retry: (attempt: number) => number | null,
): Cluster {
  const { nodes, options: clusterOptions } = redisClusterOptionsOf(url);
  const { enableOfflineQueue, lazyConnect, retryStrategy: _nodeRetry, ...nodeOptions } = options;
  return new Cluster(nodes, {
    ...clusterOptions,
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    clusterRetryStrategy: retry,
    redisOptions: { ...clusterOptions.redisOptions, ...nodeOptions },
  });
}

/**
 * The message that says why a cluster client failed: its own, and for a failed read of the
 * slot map the last node's (where WRONGPASS shows).
 */
export function clusterErrorText(error: Error): string {
  const last = (error as Error & { lastNodeError?: unknown }).lastNodeError;
  return last instanceof Error ? `${error.message} ${last.message}` : error.message;
}
