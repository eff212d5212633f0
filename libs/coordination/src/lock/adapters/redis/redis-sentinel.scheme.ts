import type { BackendUrl } from '@nestmesh/common';
import { credentialsCheckedOrClosed } from '@nestmesh/common';

import { agreedTimeoutMs } from '../../../backend-timeout.js';
import { inspectionTimeoutMs } from '../../../inspection.js';
import type { LockBackends } from '../../lock-backend.factory.js';
import type { LockInspectors } from '../../lock-inspector.js';
import {
  REDIS_SENTINEL_QUERY,
  REDIS_SENTINEL_SCHEME,
  redisSentinelOptionsOf,
  replicaAcksOf,
  SENTINEL_AUTH_QUERY,
} from './redis-sentinel.options.js';

/**
 * Why a list of Sentinel URLs is not a Redlock quorum: Redlock counts on each master keeping
 * what it acknowledged for a lease's length, and a failover breaks that (a promoted replica may
 * lack the lock: replication is asynchronous), as a restart without persistence does.
 */
const NO_SENTINEL_REDLOCK =
  'names one Sentinel-managed primary per URL; Redlock needs independent masters that never fail ' +
  'over (a promoted replica may lack a lock its primary granted), so use one redis+sentinel:// ' +
  'URL (with fencing tokens) or three or more redis:// masters';

/**
 * The URL a Redis client of this lib is given for a `redis+sentinel://` URL: the same Sentinels,
 * master, database and credentials, without `timeout` (read here, not by the connection).
 * Checked now, so that a bad URL fails at startup.
 */
export function redisSentinelClientUrl(url: BackendUrl): string {
  redisSentinelOptionsOf(url);
  const { credentials } = url;
  const userInfo = credentials
    ? `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`
    : '';
  const query = new URLSearchParams(
    SENTINEL_AUTH_QUERY.flatMap((name) => {
      const value = url.string(name);
      return value === undefined ? [] : [[name, value] as [string, string]];
    }),
  ).toString();
  return `${url.scheme}://${userInfo}${url.hosts.join(',')}${url.path}${query ? `?${query}` : ''}`;
}

/**
 * `redis+sentinel://`: locks on the primary the Sentinels name (RedisLockBackend; ioredis
 * follows every failover). A list of such URLs is refused, not taken for a Redlock quorum.
 */
export function registerRedisSentinelLockSchemes(backends: LockBackends): void {
  backends.register(REDIS_SENTINEL_SCHEME, {
    query: REDIS_SENTINEL_QUERY,
    urls: { min: 1, max: Number.MAX_SAFE_INTEGER },
    create: async (urls, { commandTimeoutMs: option }) => {
      if (urls.length > 1) throw backends.invalid(`"${urls.join(',')}": ${NO_SENTINEL_REDLOCK}`);
      const url = redisSentinelClientUrl(urls[0]);
      const commandTimeoutMs = agreedTimeoutMs(urls, { name: 'commandTimeoutMs', value: option });
      const { RedisLockBackend } = await import('./redis.lock-backend.js');
      const backend = new RedisLockBackend({ url, commandTimeoutMs, replicaAcks: replicaAcksOf(urls[0]) });
      // A refused password stops the app at startup (BackendAuthError), not at the first lock.
      return credentialsCheckedOrClosed(backend);
    },
  });
}

/**
 * `redis+sentinel://` lock inspection: reads RedisLockBackend's keys on the current primary.
 * `?timeout=` is the deadline of each read (default 2000 ms).
 */
export function registerRedisSentinelLockInspectors(inspectors: LockInspectors): void {
  inspectors.register(REDIS_SENTINEL_SCHEME, {
    query: REDIS_SENTINEL_QUERY,
    urls: { min: 1, max: Number.MAX_SAFE_INTEGER },
    create: async (urls) => {
      if (urls.length > 1) throw inspectors.invalid(`"${urls.join(',')}": ${NO_SENTINEL_REDLOCK}`);
      const clientUrl = redisSentinelClientUrl(urls[0]);
      const timeoutMs = inspectionTimeoutMs(urls);
      const { RedisLockInspector } = await import('./redis.lock-inspector.js');
      return new RedisLockInspector([clientUrl], timeoutMs);
    },
  });
}
