import { P2C_POLICY_NAME } from './balancers/p2c.config.js';

/** Deadline for unary calls that set none: 5 s, long enough for a slow dependency, short enough to fail a hung one. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 5_000;
/** Streams (watches) have no deadline unless one is set. */
export const DEFAULT_STREAM_TIMEOUT_MS = 0;
/** The balancers `MeshClientModule.register({ balancer })` selects. */
export type BalancerName = 'p2c' | 'round_robin';
export const DEFAULT_BALANCER: BalancerName = 'p2c';
/**
 * Power of two choices on latency, load and success with ejection (docs/grpc.md, "Load
 * balancing"); round robin where a process has not registered it.
 */
export const DEFAULT_SERVICE_CONFIG = {
  loadBalancingConfig: [{ [P2C_POLICY_NAME]: {} }, { round_robin: {} }],
};
/** Round robin over every live instance, as gRPC's service config states it. */
export const ROUND_ROBIN_SERVICE_CONFIG = { loadBalancingConfig: [{ round_robin: {} }] };
