import { InvalidLockOptionsError } from '../coordination.errors.js';
import { MemoryLockBackend } from './adapters/memory/memory.lock-backend.js';
import type { LockBackend } from './lock-backend.js';
import { validateLockModuleOptions, type LockModuleOptions } from './lock.module-definition.js';

export type ClosableLockBackend = LockBackend & { close?(): Promise<void> };

/**
 * The backend the options (or REDIS_URL) name; Redis clients load only when a URL is given.
 * Options are checked before anything is built, so bad options never leave a connection open.
 */
export async function createLockBackend(options: LockModuleOptions): Promise<ClosableLockBackend> {
  validateLockModuleOptions(options);
  if (options.backend) return options.backend;
  const raw = options.url ?? process.env.REDIS_URL;
  const urls = (Array.isArray(raw) ? raw : (raw ?? '').split(',')).map((url) => url.trim()).filter(Boolean);
  if (urls.length === 0) return new MemoryLockBackend();
  for (const url of urls) {
    if (!/^rediss?:\/\//.test(url))
      throw new InvalidLockOptionsError('url', `"${url}" is not a redis:// URL`);
  }
  const { RedisLockBackend } = await import('./adapters/redis/redis.lock-backend.js');
  if (urls.length === 1)
    return new RedisLockBackend({ url: urls[0]!, commandTimeoutMs: options.commandTimeoutMs });
  if (urls.length < 3)
    throw new InvalidLockOptionsError(
      'url',
      `quorum mode needs at least 3 Redis masters, got ${urls.length}`,
    );
  const { RedlockBackend } = await import('./adapters/redis/redlock.lock-backend.js');
  return new RedlockBackend({ urls, commandTimeoutMs: options.commandTimeoutMs });
}
