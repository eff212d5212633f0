import { startRedisSentinel } from '@nestmesh/testing';

import { lockBackends } from '../../lock-backend.factory.js';
import { lockBackendContract } from '../../testing/lock-backend.contract.js';

// Through the registry, as an app names it: the backend finds the primary by asking the Sentinels.
lockBackendContract('redis+sentinel (a primary, a replica and three real Sentinels)', async () => {
  const deployment = await startRedisSentinel();
  const backend = await lockBackends.create(deployment.url, {});
  return {
    backend,
    close: async () => {
      await backend.close?.();
      await deployment.stop();
    },
  };
});
