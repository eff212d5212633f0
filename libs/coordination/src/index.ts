export {
  CoordinationError,
  ElectionUnavailableError,
  InvalidElectionOptionsError,
  InvalidLockOptionsError,
  LeadershipLostError,
  LockHeldError,
  LockLostError,
  LockUnavailableError,
  MethodNotBoundError,
  NotLeaderError,
} from './coordination.errors.js';
export {
  COORDINATION_SCOPE,
  declareFencedStore,
  recordFencingRejection,
  type FencingRejection,
} from './coordination.telemetry.js';
export { MemoryLockBackend } from './lock/adapters/memory/memory.lock-backend.js';
export { LockBackend, type LeaseBackend } from './lock/lock-backend.js';
export {
  createLockBackend,
  lockBackends,
  type ClosableLockBackend,
  type LockBackendOptions,
  type LockBackends,
} from './lock/lock-backend.factory.js';
export {
  createLockInspector,
  lockInspectors,
  type HeldLock,
  type LockInspector,
  type LockInspectors,
} from './lock/lock-inspector.js';
export { LockModule } from './lock/lock.module.js';
export { currentLock, Locked, LOCKED_METADATA } from './lock/locked.decorator.js';
export { LOCK_MODULE_OPTIONS, type LockModuleOptions } from './lock/lock.module-definition.js';
export { LockHandle } from './lock/lock-handle.js';
export { LeaseClock, monotonicClock, type LeaseTimer } from './lock/lease-clock.js';
export * from './lock/lock.constants.js';
export { LockService, type AcquireOptions, type LockOptions } from './lock/lock.service.js';
export {
  DEFAULT_ELECTION_TIMING,
  electionTiming,
  type CampaignOptions,
  type ElectionTiming,
  type LeaderInfo,
  type Leadership,
  type ObserveOptions,
} from './election/leader-election.js';
export {
  createLeaderElection,
  electionBackends,
  type ElectionBackendOptions,
  type ElectionBackends,
  type LeaderElectionOptions,
} from './election/leader-election.factory.js';
export { LeaseLeaderElection } from './election/lease-election.js';
export {
  createElectionInspector,
  ELECTION_WATCH_INTERVAL_MS,
  electionInspectors,
  type ElectionGroupState,
  type ElectionInspector,
  type ElectionInspectors,
} from './election/election-inspector.js';
export { LeaderElectionModule } from './election/leader-election.module.js';
export {
  DEFAULT_LEADER_DRAIN_TIMEOUT_MS,
  LEADER_ELECTION_MODULE_OPTIONS,
  LeaderElection,
  type LeaderElectionModuleOptions,
} from './election/leader-election.module-definition.js';
export { LeaderElectionService, type LeaderElectionStatus } from './election/leader-election.service.js';
export {
  LeaderElectionHealthIndicator,
  type LeaderElectionHealth,
} from './election/leader-election.health.js';
export {
  currentLeadership,
  LEADER_ONLY_METADATA,
  LeaderOnly,
  type LeaderOnlyOptions,
} from './election/leader-only.decorator.js';
export {
  OnLeaderElected,
  OnLeaderRevoked,
  type LeaderElectedHook,
  type LeaderRevokedHook,
} from './election/leader-hooks.decorator.js';
// What a third-party scheme's factory receives (see lockBackends / electionBackends).
export type { BackendFactory, BackendUrl } from '@nestmesh/common';
