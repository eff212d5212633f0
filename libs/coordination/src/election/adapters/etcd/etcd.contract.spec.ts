import { startEtcd, startRedis } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { redisFencedLog } from '../../test-fixtures/fenced-log.js';
import { electionContract, processCandidate } from '../../testing/election.contract.js';
import { EtcdLeaderElection } from './etcd.election.js';

/**
 * Twice the default TTL: the handover bound (2/3 of a TTL after the drain) then leaves 2.7 s for
 * followers' retry timers on a loaded machine (1.5 s was measured at load 20 against 1.3 s).
 */
const TIMING = { ttlMs: 4000, renewDeadlineMs: 2800, retryIntervalMs: 200 };

// Candidates are separate processes electing on a real etcd (restarted with its data for the
// outage case); the leaders' fenced writes go to a redis-server that stays up.
electionContract('etcd (a real etcd process; candidates are separate processes)', async () => {
  const etcd = await startEtcd();
  const store = await startRedis();
  const storeClient = new Redis(store.url);
  const url = `etcd://${etcd.endpoint.replace('http://', '')}`;
  return {
    timing: TIMING,
    killIs: 'SIGKILL',
    start: (group, id) => processCandidate(url, store.url, TIMING, group, id),
    election: (group) =>
      Promise.resolve(new EtcdLeaderElection({ hosts: [etcd.endpoint], group, timing: TIMING })),
    log: (group) => redisFencedLog(storeClient, group),
    outage: { stop: () => etcd.kill(), start: () => etcd.start() },
    pausable: true,
    close: async () => {
      storeClient.disconnect();
      await Promise.all([etcd.stop(), store.stop()]);
    },
  };
});
