export {
  ZOOKEEPER_LOCK_ROOT,
  ZookeeperLockBackend,
  type ZookeeperLockBackendOptions,
} from './zookeeper.lock-backend.js';
export {
  ZOOKEEPER_ELECTION_ROOT,
  ZookeeperLeaderElection,
  type ZookeeperLeaderElectionOptions,
} from '../../../election/adapters/zookeeper/zookeeper.election.js';
