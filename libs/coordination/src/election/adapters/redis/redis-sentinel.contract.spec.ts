import { startRedis, startRedisSentinel } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { createLeaderElection } from '../../leader-election.factory.js';
import { redisFencedLog } from '../../test-fixtures/fenced-log.js';
import { electionContract, processCandidate } from '../../testing/election.contract.js';

/** As for a single Redis (redis.election.spec.ts): twice the default TTL, room for a loaded machine. */
const TIMING = { ttlMs: 4000, renewDeadlineMs: 2800, retryIntervalMs: 200 };

// Candidates are separate processes electing through the Sentinels; the leaders' fenced writes
// go to a plain redis-server that stays up. The outage pauses every data node (SIGSTOP): no
// replica is left to promote, so the Sentinels cannot fail over, and the data survives.
electionContract(
  'redis+sentinel (a primary, a replica, three Sentinels; candidates are processes)',
  async () => {
    const deployment = await startRedisSentinel();
    const store = await startRedis();
    const storeClient = new Redis(store.url);
    return {
      timing: TIMING,
      killIs: 'SIGKILL',
      start: (group, id) => processCandidate(deployment.url, store.url, TIMING, group, id),
      election: (group) => createLeaderElection({ url: deployment.url, group, ...TIMING }),
      log: (group) => redisFencedLog(storeClient, group),
      outage: {
        stop: () => Promise.resolve(deployment.nodes.forEach((node) => node.pause())),
        start: () => Promise.resolve(deployment.nodes.forEach((node) => node.resume())),
      },
      pausable: true,
      close: async () => {
        storeClient.disconnect();
        await Promise.all([deployment.stop(), store.stop()]);
      },
    };
  },
);
