import { startRedis, startZookeeper } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { redisFencedLog } from '../../test-fixtures/fenced-log.js';
import { electionContract, processCandidate } from '../../testing/election.contract.js';
import { ZookeeperLeaderElection } from './zookeeper.election.js';

/**
 * Twice the default TTL, as for Redis and etcd: the handover bound (2/3 of a TTL after the
 * drain) then leaves room for a loaded machine. The session timeout asked for is the TTL (4 s):
 * a killed or paused leader's node goes when its session expires.
 */
const TIMING = { ttlMs: 4000, renewDeadlineMs: 2800, retryIntervalMs: 200 };

// Candidates are separate processes electing on a real ZooKeeper (killed and started again with
// its data for the outage case: sessions survive it); the leaders' fenced writes go to a
// redis-server that stays up.
electionContract('zookeeper (a real ZooKeeper server; candidates are separate processes)', async () => {
  const zk = await startZookeeper();
  const store = await startRedis();
  const storeClient = new Redis(store.url);
  return {
    timing: TIMING,
    killIs: 'SIGKILL',
    start: (group, id) => processCandidate(zk.url, store.url, TIMING, group, id),
    election: (group) =>
      Promise.resolve(
        new ZookeeperLeaderElection({ connectionString: zk.connectionString, group, timing: TIMING }),
      ),
    log: (group) => redisFencedLog(storeClient, group),
    outage: { stop: () => zk.kill(), start: () => zk.start() },
    pausable: true,
    close: async () => {
      storeClient.disconnect();
      await Promise.all([zk.stop(), store.stop()]);
    },
  };
});
