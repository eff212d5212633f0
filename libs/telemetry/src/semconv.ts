// The OpenTelemetry names NestMesh emits. The standard ones are the current stable semantic
// conventions, copied here so that the libraries depend on @opentelemetry/api alone;
// semconv.spec.ts checks each against @opentelemetry/semantic-conventions. NestMesh's own
// names live under `nestmesh.`.

// Stable attributes.
export const ATTR_RPC_SYSTEM_NAME = 'rpc.system.name';
export const RPC_SYSTEM_NAME_VALUE_GRPC = 'grpc';
export const ATTR_RPC_METHOD = 'rpc.method';
export const ATTR_RPC_STATUS_CODE = 'rpc.status_code';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_NETWORK_PEER_ADDRESS = 'network.peer.address';
export const ATTR_NETWORK_PEER_PORT = 'network.peer.port';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_HTTP_ROUTE = 'http.route';
export const ATTR_URL_PATH = 'url.path';
export const ATTR_URL_SCHEME = 'url.scheme';
export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
export const ATTR_DB_QUERY_SUMMARY = 'db.query.summary';
export const ATTR_SERVICE_NAME = 'service.name';
export const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
/** `db.system.name` of Redis (a development-status value in the conventions). */
export const DB_SYSTEM_NAME_VALUE_REDIS = 'redis';

// Stable metrics (durations in seconds).
export const METRIC_RPC_SERVER_CALL_DURATION = 'rpc.server.call.duration';
export const METRIC_RPC_CLIENT_CALL_DURATION = 'rpc.client.call.duration';
export const METRIC_HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';

/**
 * Explicit bucket boundaries (seconds) the conventions recommend for RPC and HTTP durations.
 * Pass them as `advice.explicitBucketBoundaries` when creating the histograms.
 */
export const DURATION_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

// NestMesh's own attributes.
export const ATTR_NESTMESH_INSTANCE_ID = 'nestmesh.instance.id';
export const ATTR_NESTMESH_LOCK_KEY = 'nestmesh.lock.key';
export const ATTR_NESTMESH_LOCK_TOKEN = 'nestmesh.lock.fencing_token';
export const ATTR_NESTMESH_LOCK_OUTCOME = 'nestmesh.lock.outcome';
export const ATTR_NESTMESH_LOCK_ATTEMPTS = 'nestmesh.lock.attempts';
export const ATTR_NESTMESH_LOCK_WAIT_MS = 'nestmesh.lock.wait_ms';
export const ATTR_NESTMESH_LEASE_LOST_WHY = 'nestmesh.lease.lost.why';
export const ATTR_NESTMESH_ELECTION_GROUP = 'nestmesh.election.group';
export const ATTR_NESTMESH_ELECTION_CANDIDATE = 'nestmesh.election.candidate';
export const ATTR_NESTMESH_ELECTION_EPOCH = 'nestmesh.election.epoch';
export const ATTR_NESTMESH_SERVICE = 'nestmesh.service';

// Request path (gRPC server and client, HTTP edge, discovery): issue 10.
/** `error.type` when the failure has no better identifier. */
export const ERROR_TYPE_VALUE_OTHER = '_OTHER';
export const ATTR_HTTP_REQUEST_METHOD_ORIGINAL = 'http.request.method_original';
/** Live instances of a service as the client's resolver last heard from the registry. */
export const METRIC_NESTMESH_DISCOVERY_INSTANCES = 'nestmesh.discovery.instances';
/** The span of one change to a service's instance list, as a client's resolver saw it. */
export const SPAN_NESTMESH_DISCOVERY_UPDATE = 'nestmesh.discovery.update';
export const EVENT_NESTMESH_INSTANCE_ADDED = 'nestmesh.discovery.instance_added';
export const EVENT_NESTMESH_INSTANCE_REMOVED = 'nestmesh.discovery.instance_removed';
export const ATTR_NESTMESH_DISCOVERY_ADDED = 'nestmesh.discovery.added';
export const ATTR_NESTMESH_DISCOVERY_REMOVED = 'nestmesh.discovery.removed';
export const ATTR_NESTMESH_DISCOVERY_INSTANCES = 'nestmesh.discovery.instances';
