export { EtcdLeaderElection, type EtcdLeaderElectionOptions } from './etcd.election.js';
