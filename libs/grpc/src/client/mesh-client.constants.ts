/** Deadline for unary calls that set none: 5 s, long enough for a slow dependency, short enough to fail a hung one. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 5_000;
/** Streams (watches) have no deadline unless one is set. */
export const DEFAULT_STREAM_TIMEOUT_MS = 0;
/** Round robin over every live instance, as gRPC's service config states it. */
export const DEFAULT_SERVICE_CONFIG = { loadBalancingConfig: [{ round_robin: {} }] };
