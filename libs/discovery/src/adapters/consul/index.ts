export * from './consul.constants.js';
export { ConsulRegistry, type ConsulRegistryOptions } from './consul.registry.js';
export type { HeartbeatScheduler } from './consul.heartbeat.js';
