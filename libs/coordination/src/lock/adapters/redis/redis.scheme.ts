import type { BackendUrl } from '@nestmesh/common';

import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { DEFAULT_INSPECTION_TIMEOUT_MS } from '../../../inspection.js';
import type { LockBackends } from '../../lock-backend.factory.js';
import type { LockInspectors } from '../../lock-inspector.js';

/** The query options a Redis URL takes: `timeout`, the command deadline in ms. */
export const REDIS_URL_QUERY = ['timeout'] as const;
/** A quorum of fewer independent masters cannot outvote one lost node. */
export const MIN_REDLOCK_NODES = 3;

/**
 * The URL ioredis is given for `url`: `redis[s]://[user:password@]host[:port][/db]`, rebuilt
 * from what @nestmesh/common parsed, without the query (ioredis would take every query
 * parameter as a client option). Refuses what is not one Redis: no host or several hosts (a
 * quorum is a list of URLs), a path other than a database number.
 */
export function redisClientUrl(url: BackendUrl): string {
  if (url.hosts.length !== 1)
    url.fail(
      url.hosts.length === 0
        ? 'names no Redis host (redis://host:6379)'
        : 'names one Redis per URL; a quorum is a list of URLs (redis://a:6379,redis://b:6379,redis://c:6379)',
    );
  if (url.path && !/^\/\d*$/.test(url.path)) url.fail('the path is a database number (redis://host:6379/0)');
  const { credentials } = url;
  const userInfo = credentials
    ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`
    : '';
  return `${url.scheme}://${userInfo}${url.hosts[0]}${url.path}`;
}

/**
 * `redis://` and `rediss://` (TLS): one URL is a single Redis (RedisLockBackend), a list of at
 * least three is Redlock quorum over independent masters (RedlockBackend). ioredis is imported
 * only when such a URL is used.
 */
export function registerRedisLockSchemes(backends: LockBackends): void {
  backends.register(['redis', 'rediss'], {
    query: REDIS_URL_QUERY,
    urls: { min: 1, max: Number.MAX_SAFE_INTEGER },
    create: async (urls, { commandTimeoutMs: option }) => {
      const clientUrls = urls.map(redisClientUrl);
      if (urls.length > 1 && urls.length < MIN_REDLOCK_NODES)
        throw backends.invalid(
          `"${urls.join(',')}": quorum mode needs at least ${MIN_REDLOCK_NODES} Redis masters, got ${urls.length}`,
        );
      const commandTimeoutMs = agreedTimeoutMs(urls, { name: 'commandTimeoutMs', value: option });
      if (urls.length === 1) {
        const { RedisLockBackend } = await import('./redis.lock-backend.js');
        return new RedisLockBackend({ url: clientUrls[0], commandTimeoutMs });
      }
      const { RedlockBackend } = await import('./redlock.lock-backend.js');
      return new RedlockBackend({ urls: clientUrls, commandTimeoutMs });
    },
  });
}

/**
 * `redis://` and `rediss://` lock inspection: one URL reads RedisLockBackend's keys, ≥ 3 read
 * every Redlock node and list what a majority holds. `?timeout=` is the deadline of each read
 * (default 2000 ms). ioredis is imported only when such a URL is used.
 */
export function registerRedisLockInspectors(inspectors: LockInspectors): void {
  inspectors.register(['redis', 'rediss'], {
    query: REDIS_URL_QUERY,
    urls: { min: 1, max: Number.MAX_SAFE_INTEGER },
    create: async (urls) => {
      const clientUrls = urls.map(redisClientUrl);
      if (urls.length > 1 && urls.length < MIN_REDLOCK_NODES)
        throw inspectors.invalid(
          `"${urls.join(',')}": quorum mode needs at least ${MIN_REDLOCK_NODES} Redis masters, got ${urls.length}`,
        );
      const { RedisLockInspector } = await import('./redis.lock-inspector.js');
      const timeoutMs =
        agreedTimeoutMs(urls, { name: 'timeout', value: undefined }) ?? DEFAULT_INSPECTION_TIMEOUT_MS;
      return new RedisLockInspector(clientUrls, timeoutMs);
    },
  });
}
