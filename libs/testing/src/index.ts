export { startAppProcess, type AppProcess, type StartAppProcessOptions } from './app-process.js';
export { requireBinary, signalAndWait, spawnOwned } from './child-process.js';
export { createTestCa, type IssuedCertificate, type IssueOptions, type TestCa } from './test-ca.js';
export { startEtcd, type EtcdServer, type StartEtcdOptions } from './etcd-server.js';
export { freePort } from './free-port.js';
export { startHaproxy, type HaproxyServer, type StartHaproxyOptions } from './haproxy-server.js';
export type { UnexpectedExit } from './server-process.js';
export { pythonHealthCheck, type PythonHealthCheck } from './python-health-check.js';
export { startZookeeper, type ZookeeperServer } from './zookeeper-server.js';
export { startRedis, type RedisServer, type StartRedisOptions } from './redis-server.js';
export { startContext, startHttpApp, testLogger } from './nest-app.js';
export { waitFor, type WaitForOptions } from './wait-for.js';
export { startWorkers, type StartWorkersOptions, type Workers } from './workers.js';
export {
  flattenExport,
  SPAN_KIND,
  startOtlpReceiver,
  STATUS_CODE,
  type OtlpReceiver,
  type ReceivedSpan,
} from './otlp-receiver.js';
export {
  startPrometheus,
  type PrometheusServer,
  type PromSample,
  type StartPrometheusOptions,
} from './prometheus-server.js';
export { ManualClock, settle } from './manual-clock.js';
export {
  startRedisSentinel,
  type RedisSentinelDeployment,
  type SentinelMember,
  type StartRedisSentinelOptions,
} from './redis-sentinel.js';
export {
  ETCD_CLUSTER_ELECTION_TIMEOUT_MS,
  ETCD_CLUSTER_HEARTBEAT_MS,
  startEtcdCluster,
  type EtcdCluster,
  type EtcdClusterMember,
  type MemberStreams,
  type StartEtcdClusterOptions,
} from './etcd-cluster.js';
export {
  startRedisCluster,
  type RedisCluster,
  type RedisClusterNode,
  type StartRedisClusterOptions,
} from './redis-cluster.js';
export type { MigrateSlotOptions } from './redis-cluster-topology.js';
