export {
  MeshClientModule,
  InjectMeshClient,
  meshClientToken,
  type MeshClientOptions,
} from './client/mesh-client.module.js';
export {
  DEFAULT_BALANCER,
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_SERVICE_CONFIG,
  DEFAULT_STREAM_TIMEOUT_MS,
  ROUND_ROBIN_SERVICE_CONFIG,
  type BalancerName,
} from './client/mesh-client.constants.js';
export { setupP2cBalancer } from './client/balancers/p2c.balancer.js';
export { clientOffset, ringOrder, subsetOf } from './client/subsetting/subset.js';
export { DEFAULT_SUBSET_SIZE, type SubsetOptions } from './client/subsetting/subset.options.js';
export {
  BALANCER_CLOCK_CHANNEL_OPTION,
  DEFAULT_P2C_SETTINGS,
  P2C_POLICY_NAME,
  p2cServiceConfig,
  type BalancerClock,
  type P2cSettings,
} from './client/balancers/p2c.config.js';
export type { ClientRetryOptions } from './client/retries/client-retries.js';
export {
  DEFAULT_RETRY_BUDGET,
  DEFAULT_RETRY_SETTINGS,
  DEFAULT_RETRY_THROTTLING,
  type HedgingOptions,
  type RetryBudgetOptions,
  type RetryOptions,
  type RetryThrottlingOptions,
  type StatusName,
} from './client/retries/retry-options.js';
export { RETRY_BUDGET_CHANNEL_OPTION, RetryBudget } from './client/retries/retry-budget.js';
export { ClientTracing, type ClientTracingOptions } from './client/middleware/tracing.js';
export {
  ATTR_BREAKER_REJECTION_PROBABILITY,
  CIRCUIT_BREAKER_ERROR_DOMAIN,
  CIRCUIT_BREAKER_OPEN_REASON,
  CircuitBreaker,
  EVENT_BREAKER_REJECTED,
  METRIC_CLIENT_BREAKER_REJECTIONS,
} from './client/middleware/circuit-breaker.js';
export {
  DEFAULT_CIRCUIT_BREAKER,
  parseCircuitBreakerOptions,
  type BreakerClock,
  type CircuitBreakerOptions,
  type CircuitBreakerSettings,
} from './client/middleware/circuit-breaker.config.js';
export {
  AdaptiveThrottle,
  type Rejection as ThrottleRejection,
} from './client/middleware/adaptive-throttle.js';
export { DEFAULT_BUDGET_MARGIN_MS } from './client/middleware/deadline-budget.js';
export {
  currentInboundCall,
  outsideInboundCall,
  runInCall,
  type InboundCall,
} from './server/call-context.js';
export {
  DEFAULT_HTTP_DEADLINE_MS,
  httpDeadlineBudget,
  REQUEST_TIMEOUT_HEADER,
  type HttpDeadlineOptions,
} from './server/http-deadline-budget.js';
export {
  attachDiscovery,
  type AttachedDiscovery,
  DISCOVERY_CHANNEL_OPTION,
  MESH_SCHEME,
  RESOLVER_UPDATE_INTERVAL_MS,
  setupMeshResolver,
} from './client/mesh.resolver.js';
export {
  createMeshClient,
  type BidiStreamingMethod,
  type ClientStreamingMethod,
  type MeshCallOptions,
  type MeshClient,
  type MeshClientDefaults,
  type MeshResponseOptions,
  type ServerStreamingMethod,
  type UnaryMethod,
  type WithMetadata,
} from './client/typed-client.js';
export {
  grpcChannelOptions,
  type CompressionName,
  type MeshChannelOptions,
} from './client/channel-options.js';
export { MeshChannels } from './client/mesh-channels.js';
export type { RequestSource } from './client/request-stream.js';
export type { ResponseMetadata } from './client/response-metadata.js';
export type { MeshBidiStream, MeshResponseStream } from './client/streaming-calls.js';
export {
  GrpcBindingError,
  GrpcListenError,
  GrpcTlsConfigError,
  InvalidErrorDetailsError,
  InvalidGrpcOptionsError,
  MeshGrpcError,
  RequestStreamError,
  RpcError,
  type RpcErrorOptions,
} from './grpc.errors.js';
export {
  consoleLogger,
  logColours,
  logFormat,
  MeshConsoleLogger,
  type LogFormat,
} from './logging/console-logger.js';
export {
  channelCredentialsFor,
  serverCredentialsFor,
  SERVER_NAME_CHANNEL_OPTION,
} from './tls/tls-credentials.js';
export { TLS_ENV_NAMES, tlsFromEnv } from './tls/tls-env.js';
export { DEFAULT_TLS_REFRESH_INTERVAL_MS, type MeshTlsOptions } from './tls/tls.options.js';
export { GRPC_TLS_METADATA } from './tls/transport-security.js';
export { callSignal, type CancellableCall } from './server/call-signal.js';
export { observe } from './streaming/observe.js';
export { HealthService, ServingStatus } from './server/health.service.js';
export {
  DEFAULT_DEREGISTER_DELAY_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HOST,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_PORT,
} from './server/mesh-grpc.constants.js';
export { MeshGrpcModule } from './server/mesh-grpc.module.js';
export { MESH_GRPC_OPTIONS, type MeshGrpcModuleOptions } from './server/mesh-grpc.module-definition.js';
export { MeshGrpcServer } from './server/mesh-grpc.server.js';
export { serverBindingFromEnv, type ServerBinding } from './server/server-binding.js';
export { NoShedding, NO_SHEDDING_METADATA } from './server/shedding/no-shedding.decorator.js';
export {
  DEFAULT_ADAPTIVE_SHEDDING,
  DEFAULT_DEADLINE_CHECK,
  type AdaptiveSheddingOptions,
  type DeadlineCheckOptions,
  type SheddingClock,
  type SheddingOptions,
} from './server/shedding/shedding.options.js';
export type { EventLoopLoad } from './server/shedding/event-loop-load.js';
export {
  ATTR_NESTMESH_SHED_REASON,
  METRIC_NESTMESH_SERVER_SHED,
  type ShedReason,
} from './server/shedding/load-shedder.js';
export { serviceNameOf, type AnyServiceDefinition } from './server/service-definition.js';
export { fieldViolationsOf, invalidArgument } from './status/bad-request.details.js';
// The rich-details reader, also on its own subpath (@nestmesh/grpc/status).
export * from './status/index.js';
export { GrpcHttpExceptionFilter, PROBLEM_CONTENT_TYPE } from './status/grpc-http-exception.filter.js';
export {
  problemOf,
  type HttpProblemOptions,
  type ProblemDetails,
  type ProblemRequest,
} from './status/http-problem.js';
export { httpStatusOf } from './status/http-status.js';
export { RETRY_PUSHBACK_KEY, retryPushbackMetadata } from './status/retry-pushback.js';
export { grpcStatusOfHttpException as grpcStatusOfHttp } from './status/http-exception-status.js';
export {
  LIBRARY_ERROR_CODES,
  MAX_STATUS_DETAILS_LENGTH,
  statusByName,
  statusOf,
  type ErrorCodeMap,
  type StatusOutcome,
} from './status/status-mapping.js';
export { status as Status, Metadata } from '@grpc/grpc-js';
