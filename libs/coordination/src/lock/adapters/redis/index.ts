export { LOCK_KEY_PREFIX, RedisLockBackend, type RedisLockBackendOptions } from './redis.lock-backend.js';
