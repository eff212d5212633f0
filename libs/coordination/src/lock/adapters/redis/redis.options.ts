import { BACKEND_TLS_QUERY, type BackendUrl, tlsOf } from '@nestmesh/common';
import type { RedisOptions } from 'ioredis';

import { REDIS_SENTINEL_SCHEME, redisSentinelOptionsOf } from './redis-sentinel.options.js';

/** The query parameters a Redis URL may carry: TLS files, and `timeout` (read by the callers). */
export const REDIS_CONNECTION_QUERY = [...BACKEND_TLS_QUERY, 'timeout'] as const;

/**
 * The ioredis options for one Redis URL, `redis[s]://[user:password@]host[:port][/db]
 * [?ca=&cert=&key=&servername=]`: `rediss://` turns TLS on (the system CAs unless `?ca=`),
 * `cert` + `key` present a client certificate, user and password authenticate (AUTH, or an ACL
 * user). Refuses no host or several (a Redlock quorum is a list of URLs), a path other than a
 * database number, and unknown query parameters; an unreadable TLS file is BackendTlsFileError.
 * A `redis+sentinel://` URL is read by redisSentinelOptionsOf.
 */
export function redisOptionsOf(url: BackendUrl): RedisOptions {
  if (url.scheme === REDIS_SENTINEL_SCHEME) return redisSentinelOptionsOf(url);
  if (url.scheme !== 'redis' && url.scheme !== 'rediss') url.fail('is not a redis:// or rediss:// URL');
  if (url.hosts.length !== 1)
    url.fail(
      url.hosts.length === 0
        ? 'names no Redis host (redis://host:6379)'
        : 'names one Redis per URL; a quorum is a list of URLs (redis://a:6379,redis://b:6379,redis://c:6379)',
    );
  if (url.path && !/^\/\d*$/.test(url.path)) url.fail('the path is a database number (redis://host:6379/0)');
  url.onlyQuery(REDIS_CONNECTION_QUERY);
  const { host, port } = hostAndPort(url, url.hosts[0]);
  const database = url.path.length > 1 ? Number(url.path.slice(1)) : undefined;
  const { username, password } = url.credentials ?? {};
  return {
    host,
    port,
    ...(database === undefined ? {} : { db: database }),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(url.scheme === 'rediss' ? { tls: { ...tlsOf(url) } } : {}),
  };
}

/** `host[:port]` of a Redis URL (port 6379 by default; IPv6 in brackets). */
export function hostAndPort(url: BackendUrl, item: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(item);
  if (!match) url.fail(`"${item}" is not host[:port]`);
  const port = match[2] === undefined ? 6379 : Number(match[2]);
  if (port < 1 || port > 65_535) url.fail(`port ${port} is not 1–65535`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
