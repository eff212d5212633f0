import { ConfigurableModuleBuilder } from '@nestjs/common';

import type { Discovery } from './discovery.js';
import type { Registrar } from './registrar.js';

export interface DiscoveryModuleOptions {
  /**
   * Where the registry is: `memory://` (default, in-process) or `memory://<name>` for an
   * isolated in-process registry. Defaults to the DISCOVERY_URL environment variable,
   * then `memory://`.
   */
  url?: string;
  /** A ready adapter instead of a URL (tests, custom backends). Takes precedence over `url`. */
  backend?: Registrar & Discovery;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: DISCOVERY_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<DiscoveryModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
