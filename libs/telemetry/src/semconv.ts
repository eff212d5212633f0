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

// ─── Coordination: locks, election, fencing (issue 10, branch i10-coord) ────────────────────
// Kept in one block so that it merges apart from the standard names above.

// Standard attributes the coordination spans use (stable in @opentelemetry/semantic-conventions).
export const ATTR_DB_NAMESPACE = 'db.namespace';
export const ATTR_CODE_FUNCTION_NAME = 'code.function.name';

// Span names (INTERNAL spans; the stock store's Redis scripts are CLIENT spans named by the
// database conventions, `{db.query.summary}`).
export const SPAN_NESTMESH_LOCK_ACQUIRE = 'nestmesh.lock.acquire';
export const SPAN_NESTMESH_LOCK_HOLD = 'nestmesh.lock.hold';
export const SPAN_NESTMESH_ELECTION_CAMPAIGN = 'nestmesh.election.campaign';
export const SPAN_NESTMESH_ELECTION_LEADERSHIP = 'nestmesh.election.leadership';

// Span event names.
export const EVENT_NESTMESH_LOCK_RELEASED = 'nestmesh.lock.released';
export const EVENT_NESTMESH_LEASE_LOST = 'nestmesh.lease.lost';
export const EVENT_NESTMESH_REDLOCK_NODE = 'nestmesh.redlock.node';
export const EVENT_NESTMESH_ELECTED = 'nestmesh.election.elected';
export const EVENT_NESTMESH_REVOKED = 'nestmesh.election.revoked';
export const EVENT_NESTMESH_LEADER_ONLY_SKIPPED = 'nestmesh.leader_only.skipped';
export const EVENT_NESTMESH_FENCING_REJECTED = 'nestmesh.fencing.rejected';

// NestMesh's own attributes of coordination (besides nestmesh.lock.* / nestmesh.election.* above).
/** How a hold ended: `released`, or why the lease was lost (`expired`, `unconfirmed`, `max-hold`). */
export const ATTR_NESTMESH_LOCK_END_REASON = 'nestmesh.lock.end_reason';
/** Whose lease was lost: `lock` or `election`. */
export const ATTR_NESTMESH_LEASE_KIND = 'nestmesh.lease.kind';
/** A Redlock node as `host:port` (never its password). */
export const ATTR_NESTMESH_REDLOCK_NODE = 'nestmesh.redlock.node';
/** `acquire`, `raise-fence`, `extend` or `release`. */
export const ATTR_NESTMESH_REDLOCK_OPERATION = 'nestmesh.redlock.operation';
/** `granted`, `held`, `refused` or `failed`. */
export const ATTR_NESTMESH_REDLOCK_OUTCOME = 'nestmesh.redlock.outcome';
export const ATTR_NESTMESH_REDLOCK_ERROR = 'nestmesh.redlock.error';
/** A campaign's end: `elected`, `stopped` or `failed`. */
export const ATTR_NESTMESH_ELECTION_OUTCOME = 'nestmesh.election.outcome';
/** Why a leadership ended: `expired`, `unconfirmed`, `resigned` or `closed`. */
export const ATTR_NESTMESH_ELECTION_REVOKED_REASON = 'nestmesh.election.revoked.reason';
/** What a leader-only call did on a follower: `skip` or `throw`. */
export const ATTR_NESTMESH_LEADER_ONLY_ON_FOLLOWER = 'nestmesh.leader_only.on_follower';
/** The store that refused a stale fencing value (e.g. `inventory.stock`). */
export const ATTR_NESTMESH_FENCING_STORE = 'nestmesh.fencing.store';
/** What was stale: a lock's fencing `token`, or a leadership `epoch`. */
export const ATTR_NESTMESH_FENCING_KIND = 'nestmesh.fencing.kind';
/** `read` or `write`. */
export const ATTR_NESTMESH_FENCING_OPERATION = 'nestmesh.fencing.operation';
/** The refused token or epoch (span events only: unbounded). */
export const ATTR_NESTMESH_FENCING_VALUE = 'nestmesh.fencing.value';
/** The refused resource's key (span events only: unbounded). */
export const ATTR_NESTMESH_FENCING_KEY = 'nestmesh.fencing.key';

// NestMesh's own metrics (durations in seconds).
export const METRIC_NESTMESH_LOCK_WAIT_DURATION = 'nestmesh.lock.wait.duration';
export const METRIC_NESTMESH_LOCK_HOLD_DURATION = 'nestmesh.lock.hold.duration';
export const METRIC_NESTMESH_LOCK_HELD = 'nestmesh.lock.held';
export const METRIC_NESTMESH_LEASE_LOST = 'nestmesh.lease.lost';
export const METRIC_NESTMESH_FENCING_REJECTED = 'nestmesh.fencing.rejected';
export const METRIC_NESTMESH_ELECTION_LEADER = 'nestmesh.election.leader';
export const METRIC_NESTMESH_LEADER_ONLY_SKIPPED = 'nestmesh.leader_only.skipped';

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
