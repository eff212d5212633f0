export { MemoryRegistry, type MemoryRegistryOptions } from './adapters/memory/memory.registry.js';
export { catalogOf, type Catalog, type CatalogInstance, type InstanceHealth } from './catalog.js';
export {
  DEFAULT_DISCOVERY_URL,
  DISCOVERY_URL_ENV,
  HAPROXY_SYNC_DEFAULTS,
  WATCH_RETRY_BACKOFF,
} from './discovery.constants.js';
export { syncHaproxyBackend, type HaproxyBackendSync } from './haproxy/haproxy.backend-sync.js';
export { HaproxyRuntimeApi, parseRuntimeApiAddress } from './haproxy/haproxy.runtime-api.js';
export { serverNameOf, type ServerSettings } from './haproxy/haproxy.backend.js';
export type { HaproxySyncOptions } from './haproxy/haproxy-sync.options.js';
export {
  createDiscoveryBackend,
  discoveryBackends,
  type DiscoveryBackend,
  type DiscoveryBackends,
} from './discovery-backend.js';
export {
  DiscoveryError,
  HaproxyCommandError,
  HaproxyUnavailableError,
  InvalidDiscoveryOptionsError,
  InvalidServiceInstanceError,
  RegistryUnavailableError,
} from './discovery.errors.js';
export { DiscoveryModule } from './discovery.module.js';
export { DISCOVERY_MODULE_OPTIONS, type DiscoveryModuleOptions } from './discovery.module-definition.js';
export { Discovery } from './discovery.js';
export { instanceListKey } from './instance-list.js';
export { LatestValueChannel } from './latest-value.channel.js';
export { Registrar, type RegisterOptions } from './registrar.js';
export type { ServiceInstance } from './service-instance.js';
export { isServiceName, validateInstance } from './validate-instance.js';
export { WatchSessions, type WatchFeed, type WatchProducer } from './watch-sessions.js';
export { watchWithRetry, type WatchWithRetryOptions } from './watch-with-retry.js';
