import type { BackendTls } from '@nestmesh/common';

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
