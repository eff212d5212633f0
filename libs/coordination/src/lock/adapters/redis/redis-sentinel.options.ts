import type { BackendUrl } from '@nestmesh/common';
import type { RedisOptions } from 'ioredis';

/** The scheme of a Redis primary found through Sentinel. */
export const REDIS_SENTINEL_SCHEME = 'redis+sentinel';

/** The Sentinels' own credentials, apart from the data nodes' (the URL's user:password@). */
export const SENTINEL_AUTH_QUERY = ['sentinelUsername', 'sentinelPassword'] as const;

/**
 * The query parameters a `redis+sentinel://` URL may carry: the Sentinels' credentials,
 * `timeout` and `replicaAcks` (read by the lock and election schemes).
 */
export const REDIS_SENTINEL_QUERY = [...SENTINEL_AUTH_QUERY, 'timeout', 'replicaAcks'] as const;

/**
 * Replicas that must acknowledge each lock grant behind Sentinel and on a Redis Cluster, by
 * default: one, so that a failover to that replica keeps the lease and the fencing counter
 * (docs/coordination.md).
 */
export const DEFAULT_REPLICA_ACKS = 1;

/** `?replicaAcks=` (Sentinel, Cluster): a whole number ≥ 0; DEFAULT_REPLICA_ACKS when absent. */
export function replicaAcksOf(url: BackendUrl): number {
  const raw = url.string('replicaAcks');
  if (raw === undefined) return DEFAULT_REPLICA_ACKS;
  if (!/^\d+$/.test(raw)) url.fail(`replicaAcks=${raw} must be a whole number of replicas (0, 1, …)`);
  return Number(raw);
}

/** Sentinel's own port, the default of each Sentinel address. */
const SENTINEL_PORT = 26379;

/** The path: the master name, then an optional database number. */
const SENTINEL_PATH = /^\/([^/]+)(?:\/(\d+))?$/;

/** A write refused because this node was demoted to a replica (after a failover). */
const READONLY_REPLY = /^READONLY\b/;

/**
 * The ioredis options for `redis+sentinel://[user:password@]sentinel[:26379][,sentinel[:26379]…]
 * /<masterName>[/db][?sentinelUsername=&sentinelPassword=]`: ioredis asks the Sentinels (in
 * turn) where the primary `<masterName>` is and connects to it, again after every failover.
 * `user:password@` authenticate to the primary (as redis-py, Lettuce and Spring keep data-node
 * and Sentinel credentials apart); `sentinelUsername`/`sentinelPassword` to the Sentinels.
 * Refuses no Sentinel, a path that is not `/<masterName>[/db]`, and unknown query parameters.
 */
export function redisSentinelOptionsOf(url: BackendUrl): RedisOptions {
  if (url.scheme !== REDIS_SENTINEL_SCHEME) url.fail('is not a redis+sentinel:// URL');
  if (url.hosts.length === 0)
    url.fail('names no Sentinel (redis+sentinel://host:26379,host:26379,host:26379/mymaster)');
  const path = SENTINEL_PATH.exec(url.path);
  if (!path)
    url.fail('the path is the master name and an optional database number (/mymaster or /mymaster/0)');
  url.onlyQuery(REDIS_SENTINEL_QUERY);
  const { username, password } = url.credentials ?? {};
  const sentinelUsername = url.string('sentinelUsername');
  const sentinelPassword = url.string('sentinelPassword');
  return {
    sentinels: url.hosts.map((item) => sentinelAddress(url, item)),
    name: masterName(url, path[1]),
    role: 'master',
    ...(path[2] === undefined ? {} : { db: Number(path[2]) }),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(sentinelUsername ? { sentinelUsername } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
    // Hears +switch-master from the Sentinels and reconnects at once, rather than when the
    // former primary's connection breaks (a paused or demoted primary keeps it open).
    failoverDetector: true,
    // A write answered READONLY reached a demoted primary: reconnect, which asks the Sentinels
    // again; the command itself fails (a lock script is never sent twice).
    reconnectOnError: (error) => READONLY_REPLY.test(error.message),
  };
}

function masterName(url: BackendUrl, encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return url.fail('the master name is not valid percent-encoding');
  }
}

function sentinelAddress(url: BackendUrl, item: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item);
  if (!match) url.fail(`"${item}" is not host[:port]`);
  const port = match[2] === undefined ? SENTINEL_PORT : Number(match[2]);
  if (port < 1 || port > 65_535) url.fail(`port ${port} is not 1–65535`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
