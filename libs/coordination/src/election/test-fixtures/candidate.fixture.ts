// A candidate process for the election tests and the failover benchmark:
//   node candidate.fixture.js <election url> <group> <candidate id> <store redis url> [timing json]
// Prints one JSON event per line (see candidate.ts). SIGTERM: drains, resigns, exits 0.
import { Redis } from 'ioredis';

import type { ElectionTiming } from '../leader-election.js';
import { createLeaderElection } from '../leader-election.factory.js';
import { runCandidate } from './candidate.js';
import { redisFencedLog } from './fenced-log.js';

const [url, group, candidateId, storeUrl, timing] = process.argv.slice(2);
const store = new Redis(storeUrl, { maxRetriesPerRequest: 1 });
store.on('error', () => undefined);
// createLeaderElection checks the timing (InvalidElectionOptionsError on a bad value).
const timingOptions = JSON.parse(timing ?? '{}') as Partial<ElectionTiming>;
const election = await createLeaderElection({ url, group, ...timingOptions });
const candidate = runCandidate(election, candidateId, redisFencedLog(store, group), (event) =>
  process.stdout.write(`${JSON.stringify(event)}\n`),
);
process.stdout.write(`${JSON.stringify({ event: 'started', at: Date.now() })}\n`);
process.once('SIGTERM', () => {
  void (async () => {
    await candidate.stop();
    await election.close();
    store.disconnect();
  })();
});
