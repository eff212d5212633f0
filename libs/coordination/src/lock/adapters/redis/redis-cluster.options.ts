import type { BackendUrl } from '@nestmesh/common';
import type { ClusterOptions } from 'ioredis';

import { hostAndPort } from './redis.options.js';

/**
 * The query a `redis+cluster://` URL takes: `timeout`, the command deadline in ms, and
 * `replicaAcks`, how many replicas a lock grant must reach before it is handed out (read by the
 * lock and election schemes, not by the connection).
 */
export const REDIS_CLUSTER_QUERY = ['timeout', 'replicaAcks'] as const;

/** `redis+cluster://`: a Redis Cluster, served by ioredis' Cluster client. */
export const REDIS_CLUSTER_SCHEMES = ['redis+cluster', 'rediss+cluster'] as const;

/**
 * The Cluster client settings NestMesh sets (ioredis' own defaults otherwise). Reads go to
 * primaries only: a replica lags (asynchronous replication), and a lock or stock read from it
 * could be stale. MOVED is followed at once; while a failover or a resharding is under way
 * (connection closed, CLUSTERDOWN, TRYAGAIN during a migration) a command is retried every
 * 100 ms, at most `maxRedirections` times, and always within the caller's own deadline.
 */
export const REDIS_CLUSTER_DEFAULTS = {
  scaleReads: 'master',
  maxRedirections: 16,
  retryDelayOnMoved: 0,
  retryDelayOnFailover: 100,
  retryDelayOnClusterDown: 100,
  retryDelayOnTryAgain: 100,
  /** How long a read of the slot map (CLUSTER SLOTS) may take, in ms. */
  slotsRefreshTimeout: 1_000,
  /** The slot map is reread this often, in ms, besides after every MOVED. */
  slotsRefreshInterval: 5_000,
} as const satisfies ClusterOptions;

export interface RedisClusterConnection {
  /** The seed nodes: any of them gives the client the whole slot map. */
  nodes: { host: string; port: number }[];
  /** Cluster options, credentials in `redisOptions` (every node is given them). */
  options: ClusterOptions;
}

/** Whether `url` names a Redis Cluster (`redis+cluster://`). */
export function isRedisClusterUrl(url: BackendUrl): boolean {
  return (REDIS_CLUSTER_SCHEMES as readonly string[]).includes(url.scheme);
}

/**
 * The seeds and options of `redis+cluster://[user:password@]host:port[,host:port…][?timeout=&replicaAcks=]`:
 * every host is a seed (list a few, so that the client starts while one is down); user and
 * password authenticate on every node. Refuses no host, a path (a cluster has one database,
 * 0) and unknown query parameters; `rediss+cluster://` is refused: TLS to a cluster is not
 * supported yet (the nodes announce bare IPs, which the certificates would have to name).
 */
export function redisClusterOptionsOf(url: BackendUrl): RedisClusterConnection {
  if (!isRedisClusterUrl(url)) url.fail('is not a redis+cluster:// URL');
  if (url.scheme === 'rediss+cluster')
    url.fail('TLS to a Redis Cluster is not supported yet; use redis+cluster:// on a trusted network');
  if (url.hosts.length === 0) url.fail('names no cluster node (redis+cluster://host:6379,host:6380)');
  if (url.path && url.path !== '/') url.fail('a Redis Cluster has one database, 0: remove the path');
  url.onlyQuery(REDIS_CLUSTER_QUERY);
  const { username, password } = url.credentials ?? {};
  return {
    nodes: url.hosts.map((host) => hostAndPort(url, host)),
    options: {
      ...REDIS_CLUSTER_DEFAULTS,
      redisOptions: { ...(username ? { username } : {}), ...(password ? { password } : {}) },
    },
  };
}
