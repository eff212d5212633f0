import { startEtcd, startRedis } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { DEFAULT_ELECTION_TIMING } from '../../leader-election.js';
import { redisFencedLog } from '../../test-fixtures/fenced-log.js';
import { electionContract, processCandidate } from '../../testing/election.contract.js';
import { EtcdLeaderElection } from './etcd.election.js';

// Candidates are separate processes electing on a real etcd (restarted with its data for the
// outage case); the leaders' fenced writes go to a redis-server that stays up.
electionContract('etcd (a real etcd process; candidates are separate processes)', async () => {
  const etcd = await startEtcd();
  const store = await startRedis();
  const storeClient = new Redis(store.url);
  const url = `etcd://${etcd.endpoint.replace('http://', '')}`;
  return {
    timing: DEFAULT_ELECTION_TIMING,
    killIs: 'SIGKILL',
    start: (group, id) => processCandidate(url, store.url, {}, group, id),
    election: (group) => Promise.resolve(new EtcdLeaderElection({ hosts: [etcd.endpoint], group })),
    log: (group) => redisFencedLog(storeClient, group),
    outage: { stop: () => etcd.kill(), start: () => etcd.start() },
    pausable: true,
    close: async () => {
      storeClient.disconnect();
      await Promise.all([etcd.stop(), store.stop()]);
    },
  };
});
