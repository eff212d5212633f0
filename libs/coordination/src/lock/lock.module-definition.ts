import { ConfigurableModuleBuilder } from '@nestjs/common';

import type { LockBackend } from './lock-backend.js';

export interface LockModuleOptions {
  /**
   * Where locks live. One URL (`redis://host:6379`): a single Redis. Several (an array, or one
   * string with commas): Redlock quorum over independent masters. Default: the REDIS_URL
   * environment variable; without it, the in-process memory backend.
   */
  url?: string | string[];
  /** A ready backend instead of a URL. */
  backend?: LockBackend;
  /** Lease TTL when a call gives none, in ms. Default 10 000. */
  ttlMs?: number;
  /** Deadline of each Redis command, in ms. Default 1000. */
  commandTimeoutMs?: number;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: LOCK_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<LockModuleOptions>({ moduleName: 'Lock' })
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
