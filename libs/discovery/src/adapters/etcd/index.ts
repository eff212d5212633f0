export {
  DEFAULT_ETCD_KEEPALIVE_MS,
  DEFAULT_ETCD_PREFIX,
  DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
  DEFAULT_ETCD_TTL_SECONDS,
} from './etcd.constants.js';
export { EtcdRegistry, type EtcdRegistryOptions } from './etcd.registry.js';
