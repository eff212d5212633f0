import { BACKEND_TLS_QUERY, type BackendUrl, credentialsCheckedOrClosed } from '@nestmesh/common';

import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { inspectionTimeoutMs } from '../../../inspection.js';
import type { LockBackends } from '../../lock-backend.factory.js';
import type { LockInspectors } from '../../lock-inspector.js';
import { REDIS_CONNECTION_QUERY, redisOptionsOf } from './redis.options.js';

/** The query options a Redis URL takes: TLS files (`ca`, `cert`, `key`, `servername`) and `timeout`, the command deadline in ms. */
export const REDIS_URL_QUERY = REDIS_CONNECTION_QUERY;
/** A quorum of fewer independent masters cannot outvote one lost node. */
export const MIN_REDLOCK_NODES = 3;

/**
 * The URL a Redis client of this lib is given for `url`: the same Redis, credentials and TLS
 * files, without `timeout` (read here, not by the connection). Checked now, through
 * redisOptionsOf, so that a bad URL or an unreadable `?ca=` file fails at startup.
 */
export function redisClientUrl(url: BackendUrl): string {
  redisOptionsOf(url);
  const { credentials } = url;
  const userInfo = credentials
    ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`
    : '';
  const tlsQuery = new URLSearchParams(
    BACKEND_TLS_QUERY.flatMap((name) => {
      const value = url.string(name);
      return value === undefined ? [] : [[name, value] as [string, string]];
    }),
  ).toString();
  return `${url.scheme}://${userInfo}${url.hosts[0]}${url.path}${tlsQuery ? `?${tlsQuery}` : ''}`;
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
      const backend =
        urls.length === 1
          ? new (await import('./redis.lock-backend.js')).RedisLockBackend({
              url: clientUrls[0],
              commandTimeoutMs,
            })
          : new (await import('./redlock.lock-backend.js')).RedlockBackend({
              urls: clientUrls,
              commandTimeoutMs,
            });
      // A refused password stops the app at startup (BackendAuthError), not at the first lock.
      return credentialsCheckedOrClosed(backend);
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
      const timeoutMs = inspectionTimeoutMs(urls);
      return new RedisLockInspector(clientUrls, timeoutMs);
    },
  });
}
