import { ConfigurableModuleBuilder } from '@nestjs/common';

import type { Discovery } from './discovery.js';
import type { Registrar } from './registrar.js';

export interface DiscoveryModuleOptions {
  /**
   * Which registry, by URL: `memory://[name]`, `etcd://…`, `consul://…`, or a scheme a third
   * party registered on `discoveryBackends`. Defaults to the DISCOVERY_URL environment
   * variable, then `memory://`. An unusable URL fails at startup (InvalidDiscoveryOptionsError).
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
