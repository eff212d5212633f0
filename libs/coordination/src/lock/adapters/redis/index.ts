export { LOCK_KEY_PREFIX, RedisLockBackend, type RedisLockBackendOptions } from './redis.lock-backend.js';
export { RedlockBackend, type RedlockBackendOptions } from './redlock.lock-backend.js';
export {
  ELECTION_KEY_PREFIX,
  RedisLeaderElection,
  type RedisLeaderElectionOptions,
} from '../../../election/adapters/redis/redis.election.js';
export { createRedisClient, redisAuthFailure, redisCredentialsChecked } from './redis.connection.js';
export { REDIS_CONNECTION_QUERY, redisOptionsOf } from './redis.options.js';
export {
  REDIS_SENTINEL_QUERY,
  REDIS_SENTINEL_SCHEME,
  redisSentinelOptionsOf,
} from './redis-sentinel.options.js';
export { isCluster, primariesOf, type RedisClient } from './redis.client.js';
export {
  isRedisClusterUrl,
  REDIS_CLUSTER_DEFAULTS,
  REDIS_CLUSTER_SCHEMES,
  redisClusterOptionsOf,
  type RedisClusterConnection,
} from './redis-cluster.options.js';
