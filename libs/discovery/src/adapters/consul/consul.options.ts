import type { BackendTls } from '@nestmesh/common';

import { InvalidDiscoveryOptionsError } from '../../discovery.errors.js';
import { CONSUL_MIN_DEREGISTER_CRITICAL_AFTER_MS } from './consul.constants.js';
import type { HeartbeatScheduler } from './consul.heartbeat.js';

/** Defaults are in consul.constants.ts. */
export interface ConsulRegistryOptions {
  /** Agent `host:port`. Default 127.0.0.1:8500. */
  host?: string;
  /** HTTPS to the agent (`consuls://`, or CONSUL_HTTP_SSL=true). Default false. */
  secure?: boolean;
  /** With `secure`: the CA that verifies the agent (default the system's) and a client certificate. */
  tls?: BackendTls;
  /** The URL as errors show it (redacted by them). Default `consul[s]://<host>`. */
  url?: string;
  /** ACL token, sent as X-Consul-Token. */
  token?: string;
  /** Datacenter (`dc` query parameter). */
  datacenter?: string;
  /** Enterprise namespace: `ns` on every request (Consul reads it on registration and queries). */
  namespace?: string;
  /** `grpc` (default): Consul calls our grpc.health.v1 service. `ttl`: we report health to Consul. */
  check?: 'grpc' | 'ttl';
  checkIntervalMs?: number;
  checkTimeoutMs?: number;
  ttlMs?: number;
  /**
   * Consul removes an instance whose check stays critical this long (a crashed process).
   * Default 60 000; at least 60 000 (Consul's minimum: it would silently raise a shorter one).
   */
  deregisterCriticalAfterMs?: number;
  waitMs?: number;
  requestTimeoutMs?: number;
  /** After `deregister`, remove the instance this long later if `close()` has not. Default 30 000. */
  removeAfterMs?: number;
  /**
   * Runs a TTL check's heartbeat every `intervalMs` (TTL/3) until the returned function is
   * called. Default: an unref'd `setInterval`. Tests pass a manual clock.
   */
  heartbeatScheduler?: HeartbeatScheduler;
}

/**
 * Refuses what Consul would silently change: a DeregisterCriticalServiceAfter under its minimum
 * of one minute (Consul raises it to one minute, with a warning in its own log only).
 */
export function validateOptions({ deregisterCriticalAfterMs }: ConsulRegistryOptions): void {
  if (deregisterCriticalAfterMs === undefined) return;
  if (
    !Number.isFinite(deregisterCriticalAfterMs) ||
    deregisterCriticalAfterMs < CONSUL_MIN_DEREGISTER_CRITICAL_AFTER_MS
  ) {
    throw new InvalidDiscoveryOptionsError(
      `consul deregisterCriticalAfterMs is ${deregisterCriticalAfterMs}: Consul's minimum is ${CONSUL_MIN_DEREGISTER_CRITICAL_AFTER_MS} ms (one minute); it would silently use that instead`,
    );
  }
}
