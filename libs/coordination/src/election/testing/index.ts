// Test and benchmark support: candidate processes (`@nestmesh/coordination/testing`).
export { processCandidate, type CandidateControl, type CandidateEvent } from './candidate-process.js';
export { redisFencedLog, memoryFencedLog, type FencedLog } from '../test-fixtures/fenced-log.js';
