import { BackendRegistry, splitBackendUrls } from '@nestmesh/common';

import { InvalidLockOptionsError } from '../coordination.errors.js';
import { registerMemoryLockScheme } from './adapters/memory/memory.scheme.js';
import { registerRedisClusterLockScheme } from './adapters/redis/redis-cluster.scheme.js';
import { registerRedisLockSchemes } from './adapters/redis/redis.scheme.js';
import { registerRedisSentinelLockSchemes } from './adapters/redis/redis-sentinel.scheme.js';
import { registerZookeeperLockScheme } from './adapters/zookeeper/zookeeper.scheme.js';
import type { LockBackend } from './lock-backend.js';
import { validateLockModuleOptions, type LockModuleOptions } from './lock.module-definition.js';

export type ClosableLockBackend = LockBackend & { close?(): Promise<void> };

/** What a lock scheme's factory gets besides its URLs: the LockModule options a backend reads. */
export interface LockBackendOptions {
  /**
   * LockModule's `commandTimeoutMs`: the deadline of each backend command, in ms; undefined
   * for the backend's default. A scheme that also reads `?timeout=` refuses the two disagreeing.
   */
  readonly commandTimeoutMs?: number;
}

/**
 * Lock URL scheme → backend, as grpc-js registers resolvers: `memory://`, `redis://` /
 * `rediss://` (one URL: a single Redis; ≥ 3: Redlock quorum) and `zk://` (ZooKeeper) are built in, each importing its
 * adapter (and ioredis) only when a URL names it. A third party registers its own scheme
 * before the LockModule is built (docs/coordination.md, "Third-party backends"):
 *
 *   lockBackends.register('consul', { query: ['timeout'], create: async ([url], options) => … });
 *
 * An unknown scheme or query option fails with InvalidLockOptionsError (`option: 'url'`),
 * which lists the known schemes and never shows a password.
 */
export const lockBackends = new BackendRegistry<LockBackendOptions, ClosableLockBackend>(
  'lock',
  (message) => new InvalidLockOptionsError('url', `is unusable: ${message}`),
);
/** The type of {@link lockBackends}, for a scheme's registration function. */
export type LockBackends = typeof lockBackends;
registerMemoryLockScheme(lockBackends);
registerRedisLockSchemes(lockBackends);
registerRedisSentinelLockSchemes(lockBackends);
registerRedisClusterLockScheme(lockBackends);
registerZookeeperLockScheme(lockBackends);

/**
 * The backend the options name: `backend` as given, else the backend of `url`, else of
 * REDIS_URL, else memory (an empty `url` list also means memory). Options are checked before
 * anything is built, so bad options never leave a connection open.
 */
export async function createLockBackend(options: LockModuleOptions): Promise<ClosableLockBackend> {
  validateLockModuleOptions(options);
  if (options.backend) return options.backend;
  const url = options.url ?? process.env.REDIS_URL ?? '';
  return lockBackends.create(splitBackendUrls(url).length > 0 ? url : 'memory://', {
    commandTimeoutMs: options.commandTimeoutMs,
  });
}
