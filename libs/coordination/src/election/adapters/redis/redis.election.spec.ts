import { startRedis } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { createLeaderElection } from '../../leader-election.factory.js';
import { electionContract, processCandidate } from '../../testing/election.contract.js';
import { redisFencedLog } from '../../test-fixtures/fenced-log.js';

/**
 * Twice the default TTL: the handover bound (2/3 of a TTL after the drain) then leaves 2.7 s for
 * followers' retry timers on a loaded machine (1.5 s was measured at load 20 against 1.3 s).
 */
const TIMING = { ttlMs: 4000, renewDeadlineMs: 2800, retryIntervalMs: 200 };

// Candidates are separate processes; the election runs on a persistent redis-server (AOF), so
// that restarting it keeps the epoch counter, and writes go to a second redis-server that
// stays up.
electionContract('redis (real redis-server processes; candidates are separate processes)', async () => {
  const backend = await startRedis({ persistent: true });
  const store = await startRedis();
  const storeClient = new Redis(store.url);
  return {
    timing: TIMING,
    killIs: 'SIGKILL',
    start: (group, id) => processCandidate(backend.url, store.url, TIMING, group, id),
    election: (group) => createLeaderElection({ url: backend.url, group, ...TIMING }),
    log: (group) => redisFencedLog(storeClient, group),
    outage: { stop: () => backend.kill(), start: () => backend.start() },
    pausable: true,
    close: async () => {
      storeClient.disconnect();
      await Promise.all([backend.stop(), store.stop()]);
    },
  };
});
