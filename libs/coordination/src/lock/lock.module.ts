import { Inject, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { OnApplicationShutdown } from '@nestjs/common';

import { LockBackend } from './lock-backend.js';
import { createLockBackend, type ClosableLockBackend } from './lock-backend.factory.js';
import {
  ConfigurableModuleClass,
  LOCK_MODULE_OPTIONS,
  validateLockModuleOptions,
  type LockModuleOptions,
} from './lock.module-definition.js';
import { LockService } from './lock.service.js';
import { LockedMethodsExplorer } from './locked-methods.explorer.js';
import { DEFAULT_LOCK_TTL_MS } from './lock.constants.js';

/** Closes the backend's connections last, after servers have drained. */
class LockBackendCloser implements OnApplicationShutdown {
  constructor(@Inject(LockBackend) private readonly backend: ClosableLockBackend) {}
  async onApplicationShutdown(): Promise<void> {
    await this.backend.close?.();
  }
}

/**
 * Distributed locks: `LockModule.forRoot({ url: process.env.REDIS_URL })` provides
 * {@link LockService}. Global unless `isGlobal: false`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: LockBackend,
      inject: [LOCK_MODULE_OPTIONS],
      // Validates every option before it builds anything (see validateLockModuleOptions).
      useFactory: (options: LockModuleOptions) => createLockBackend(options),
    },
    {
      provide: 'NESTMESH_LOCK_DEFAULT_TTL_MS',
      inject: [LOCK_MODULE_OPTIONS],
      useFactory: (options: LockModuleOptions) => {
        validateLockModuleOptions(options);
        return options.ttlMs ?? DEFAULT_LOCK_TTL_MS;
      },
    },
    LockService,
    LockBackendCloser,
    LockedMethodsExplorer,
  ],
  exports: [LockService, LockBackend],
})
export class LockModule extends ConfigurableModuleClass {}
