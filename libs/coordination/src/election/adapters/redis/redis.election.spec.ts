import { startRedis } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { createLeaderElection } from '../../leader-election.factory.js';
import { DEFAULT_ELECTION_TIMING } from '../../leader-election.js';
import { electionContract, processCandidate } from '../../testing/election.contract.js';
import { redisFencedLog } from '../../test-fixtures/fenced-log.js';

// Candidates are separate processes; the election runs on a persistent redis-server (AOF), so
// that restarting it keeps the epoch counter, and writes go to a second redis-server that
// stays up.
electionContract('redis (real redis-server processes; candidates are separate processes)', async () => {
  const backend = await startRedis({ persistent: true });
  const store = await startRedis();
  const storeClient = new Redis(store.url);
  return {
    timing: DEFAULT_ELECTION_TIMING,
    killIs: 'SIGKILL',
    start: (group, id) => processCandidate(backend.url, store.url, {}, group, id),
    election: (group) => createLeaderElection({ url: backend.url, group }),
    log: (group) => redisFencedLog(storeClient, group),
    outage: { stop: () => backend.kill(), start: () => backend.start() },
    pausable: true,
    close: async () => {
      storeClient.disconnect();
      await Promise.all([backend.stop(), store.stop()]);
    },
  };
});
