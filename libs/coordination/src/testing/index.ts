// `@nestmesh/coordination/testing`: the contract suites every lock backend and every election
// must pass (a third-party backend runs them too; docs/coordination.md, "Third-party
// backends"), and the candidate processes and fenced logs the tests and benchmarks use.
// Importing it registers node:test suites only when a contract function is called.
import type { lockBackendContract } from '../lock/testing/lock-backend.contract.js';

export { lockBackendContract } from '../lock/testing/lock-backend.contract.js';
export { electionContract, type ElectionHarness } from '../election/testing/election.contract.js';
export {
  processCandidate,
  type CandidateControl,
  type CandidateEvent,
} from '../election/testing/candidate-process.js';
export { memoryFencedLog, redisFencedLog, type FencedLog } from '../election/test-fixtures/fenced-log.js';

/** What a lockBackendContract setup resolves to: the backend under test, and how to stop it. */
export type LockBackendHarness = Awaited<ReturnType<Parameters<typeof lockBackendContract>[1]>>;
