import { startRedis } from '@nestmesh/testing';

import { lockBackendContract } from '../../testing/lock-backend.contract.js';
import { RedisLockBackend } from './redis.lock-backend.js';

lockBackendContract('redis (a real redis-server)', async () => {
  const redis = await startRedis();
  const backend = new RedisLockBackend({ url: redis.url });
  return {
    backend,
    close: async () => {
      await backend.close();
      await redis.stop();
    },
  };
});
