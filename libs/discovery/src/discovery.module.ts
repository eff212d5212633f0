import { Module } from '@nestjs/common';

import { createDiscoveryBackend } from './discovery-backend.js';
import { ConfigurableModuleClass, DISCOVERY_MODULE_OPTIONS } from './discovery.module-definition.js';
import type { DiscoveryModuleOptions } from './discovery.module-definition.js';
import { Discovery } from './discovery.js';
import { Registrar } from './registrar.js';

const BACKEND = Symbol('nestmesh.discovery.backend');

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
    { provide: Registrar, useExisting: BACKEND },
    { provide: Discovery, useExisting: BACKEND },
  ],
  exports: [Registrar, Discovery],
})
export class DiscoveryModule extends ConfigurableModuleClass {}
