import { ConfigurableModuleBuilder } from '@nestjs/common';

import { InvalidLockOptionsError } from '../coordination.errors.js';
import type { LockBackend } from './lock-backend.js';
import { DEFAULT_LOCK_TTL_MS } from './lock.constants.js';

export interface LockModuleOptions {
  /**
   * Where locks live: `memory://`, `redis://[user:password@]host:6379[/db]` (`rediss://` for
   * TLS) for a single Redis, or a list of ≥ 3 Redis URLs (an array, or one string with
   * commas) for Redlock quorum over independent masters; a registered third-party scheme
   * (see `lockBackends`). Default: the REDIS_URL environment variable; without it, the
   * in-process memory backend.
   */
  url?: string | string[];
  /** A ready backend instead of a URL (then no `url`). */
  backend?: LockBackend;
  /** Lease TTL when a call gives none, in ms. Default 10 000. */
  ttlMs?: number;
  /** Deadline of each Redis command, in ms. Default 1000 (quorum: 100 per node). Or `?timeout=` in the URL. */
  commandTimeoutMs?: number;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: LOCK_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<LockModuleOptions>({ moduleName: 'Lock' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();

/**
 * Checks the options that need no backend; throws InvalidLockOptionsError naming the option.
 * Runs before a backend is built: a bad option found after a Redis client was made would leave
 * that client reconnecting forever in an app that failed to start.
 */
export function validateLockModuleOptions(options: LockModuleOptions): void {
  const { ttlMs = DEFAULT_LOCK_TTL_MS, commandTimeoutMs, backend, url } = options;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 10)
    throw new InvalidLockOptionsError('ttlMs', `must be at least 10 ms, got ${String(ttlMs)}`);
  if (
    commandTimeoutMs !== undefined &&
    (typeof commandTimeoutMs !== 'number' || !Number.isFinite(commandTimeoutMs) || commandTimeoutMs <= 0)
  )
    throw new InvalidLockOptionsError(
      'commandTimeoutMs',
      `must be a positive number of ms, got ${String(commandTimeoutMs)}`,
    );
  if (backend && url !== undefined)
    throw new InvalidLockOptionsError('url', 'cannot be given with a ready backend (it has its own)');
}
