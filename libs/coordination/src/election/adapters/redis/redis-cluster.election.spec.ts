import { startRedis, startRedisCluster } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { createLeaderElection } from '../../leader-election.factory.js';
import { electionContract, processCandidate } from '../../testing/election.contract.js';
import { redisFencedLog } from '../../test-fixtures/fenced-log.js';

/** As for one Redis (redis.election.spec.ts): twice the default TTL, for a loaded machine. */
const TIMING = { ttlMs: 4000, renewDeadlineMs: 2800, retryIntervalMs: 200 };

// Candidates are separate processes electing on a Redis Cluster through `redis+cluster://`;
// the leaders' fenced writes go to a single redis-server that stays up. The outage pauses
// every node of the cluster (unreachable, data kept) and resumes them.
electionContract('redis+cluster (a real Redis Cluster; candidates are separate processes)', async () => {
  const cluster = await startRedisCluster();
  const store = await startRedis();
  const storeClient = new Redis(store.url);
  return {
    timing: TIMING,
    killIs: 'SIGKILL',
    start: (group, id) => processCandidate(cluster.url, store.url, TIMING, group, id),
    election: (group) => createLeaderElection({ url: cluster.url, group, ...TIMING }),
    log: (group) => redisFencedLog(storeClient, group),
    outage: {
      stop: () => {
        for (const node of cluster.nodes) node.pause();
        return Promise.resolve();
      },
      start: async () => {
        for (const node of cluster.nodes) node.resume();
        await cluster.waitUntilHealthy();
      },
    },
    pausable: true,
    close: async () => {
      storeClient.disconnect();
      await Promise.all([cluster.stop(), store.stop()]);
    },
  };
});
