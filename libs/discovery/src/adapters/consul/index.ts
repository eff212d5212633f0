export * from './consul.constants.js';
export { ConsulRegistry, type ConsulRegistryOptions, type HeartbeatScheduler } from './consul.registry.js';
