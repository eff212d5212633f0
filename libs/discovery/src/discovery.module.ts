import { Module } from '@nestjs/common';
import type { OnApplicationShutdown } from '@nestjs/common';

import { createDiscoveryBackend, type DiscoveryBackend } from './discovery-backend.js';
import { ConfigurableModuleClass, DISCOVERY_MODULE_OPTIONS } from './discovery.module-definition.js';
import type { DiscoveryModuleOptions } from './discovery.module-definition.js';
import { Discovery } from './discovery.js';
import { Registrar } from './registrar.js';

const BACKEND = Symbol('nestmesh.discovery.backend');
const BACKEND_CLOSER = Symbol('nestmesh.discovery.backend-closer');

/** Closes the backend's client last, after servers have deregistered and drained. */
class BackendCloser implements OnApplicationShutdown {
  constructor(private readonly backend: DiscoveryBackend) {}
  async onApplicationShutdown(): Promise<void> {
    await this.backend.close?.();
  }
}

/**
 * Provides {@link Registrar} and {@link Discovery} for the configured registry.
 * `DiscoveryModule.forRoot({ url: 'memory://' })`; global unless `isGlobal: false`.
 */
@Module({
  providers: [
    {
      provide: BACKEND,
      inject: [DISCOVERY_MODULE_OPTIONS],
      useFactory: (options: DiscoveryModuleOptions) => createDiscoveryBackend(options),
    },
    {
      provide: BACKEND_CLOSER,
      inject: [BACKEND],
      useFactory: (backend: DiscoveryBackend) => new BackendCloser(backend),
    },
    { provide: Registrar, useExisting: BACKEND },
    { provide: Discovery, useExisting: BACKEND },
  ],
  exports: [Registrar, Discovery],
})
export class DiscoveryModule extends ConfigurableModuleClass {}
