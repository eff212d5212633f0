import type { BackoffOptions } from '@nestmesh/common';

import { HAPROXY_SYNC_DEFAULTS } from '../discovery.constants.js';
import { InvalidDiscoveryOptionsError } from '../discovery.errors.js';
import type { Discovery } from '../discovery.js';
import type { ServiceInstance } from '../service-instance.js';
import { HAPROXY_NAME, type ServerSettings } from './haproxy.backend.js';
import { parseRuntimeApiAddress } from './haproxy.runtime-api.js';

export interface HaproxySyncOptions extends ServerSettings {
  /** Where the instances come from (memory, etcd, Consul: any `Discovery`). */
  discovery: Discovery;
  /** The service whose healthy instances become the backend's servers. */
  service: string;
  /**
   * The HAProxy backend to keep in sync. It must use a dynamic balancing algorithm (roundrobin,
   * leastconn, random, first, or a hash with `hash-type consistent`), as HAProxy 2.6 requires
   * for `add server`.
   */
  backend: string;
  /** The runtime API at admin level: a unix socket path (`/run/haproxy/admin.sock`) or `host:port`. */
  runtimeApi: string;
  /**
   * The port a server sends traffic to; default the registered port (the gRPC one). An HTTP
   * backend reads the instance's HTTP port from its metadata:
   * `(instance) => Number(instance.metadata['http_port']) || undefined`. `undefined`: no server.
   */
  portOf?: (instance: ServiceInstance) => number | undefined;
  /** Default `mesh-`. Only servers whose name starts with it are managed (added, drained, deleted). */
  serverNamePrefix?: string;
  /** Default 30 000. A leaving server drains at most this long; then its sessions are shut. */
  drainTimeoutMs?: number;
  /** Default 250. How often a draining server's sessions are counted. */
  drainPollIntervalMs?: number;
  /**
   * Default 2 000. After its drain, a server is put in maintenance and its sessions shut; it is
   * deleted once none is left and this long has passed. Deleting at once can crash HAProxy
   * before 2.9 (Debian 12 ships 2.6): a stream that is closing still points to the server it
   * frees (haproxy/haproxy#2323, fixed by "don't delete a dynamic server that has streams").
   */
  deleteDelayMs?: number;
  /**
   * Default 5 000. The backend is re-read this often even without a change, so servers lost to
   * an HAProxy restart (dynamic servers are not kept in its configuration) come back.
   */
  resyncIntervalMs?: number;
  /** Default 5 000. One runtime API command's limit, connect to answer. */
  commandTimeoutMs?: number;
  /** Delays between attempts after a failure; default 100 ms doubling to 5 s, jittered. */
  retryBackoff?: BackoffOptions;
  /** Told of every failure (HAProxy or the registry) with the delay before the next attempt (ms). Default: a warning log. */
  onError?: (error: unknown, retryInMs: number) => void;
  /** The clock drain deadlines are measured on, in ms. Default `performance.now`. */
  now?: () => number;
}

export type ResolvedHaproxySyncOptions = Required<Omit<HaproxySyncOptions, 'proto' | 'onError' | 'portOf'>> &
  Pick<HaproxySyncOptions, 'proto' | 'onError' | 'portOf'>;

const positive = (name: string, value: number) => {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new InvalidDiscoveryOptionsError(
      `haproxy sync: ${name} must be a positive number of ms, got ${value}`,
    );
  }
};

/** Defaults applied and every option checked; throws `InvalidDiscoveryOptionsError`. */
export function resolveHaproxySyncOptions(options: HaproxySyncOptions): ResolvedHaproxySyncOptions {
  const resolved = {
    serverNamePrefix: HAPROXY_SYNC_DEFAULTS.serverNamePrefix,
    drainTimeoutMs: HAPROXY_SYNC_DEFAULTS.drainTimeoutMs,
    drainPollIntervalMs: HAPROXY_SYNC_DEFAULTS.drainPollIntervalMs,
    deleteDelayMs: HAPROXY_SYNC_DEFAULTS.deleteDelayMs,
    resyncIntervalMs: HAPROXY_SYNC_DEFAULTS.resyncIntervalMs,
    commandTimeoutMs: HAPROXY_SYNC_DEFAULTS.commandTimeoutMs,
    retryBackoff: HAPROXY_SYNC_DEFAULTS.retryBackoff,
    check: false,
    now: () => performance.now(),
    ...options,
  };
  if (!resolved.service) throw new InvalidDiscoveryOptionsError('haproxy sync: service is required');
  if (!HAPROXY_NAME.test(resolved.backend)) {
    throw new InvalidDiscoveryOptionsError(
      `haproxy sync: "${resolved.backend}" is not an HAProxy backend name`,
    );
  }
  if (resolved.serverNamePrefix !== '' && !HAPROXY_NAME.test(resolved.serverNamePrefix)) {
    throw new InvalidDiscoveryOptionsError(
      `haproxy sync: server name prefix "${resolved.serverNamePrefix}" has characters HAProxy refuses`,
    );
  }
  if (resolved.proto !== undefined && resolved.proto !== 'h2') {
    throw new InvalidDiscoveryOptionsError(
      `haproxy sync: proto must be "h2" or absent, got "${String(resolved.proto)}"`,
    );
  }
  parseRuntimeApiAddress(resolved.runtimeApi);
  positive('drainPollIntervalMs', resolved.drainPollIntervalMs);
  positive('resyncIntervalMs', resolved.resyncIntervalMs);
  positive('commandTimeoutMs', resolved.commandTimeoutMs);
  for (const name of ['drainTimeoutMs', 'deleteDelayMs'] as const) {
    if (!(resolved[name] >= 0)) {
      throw new InvalidDiscoveryOptionsError(`haproxy sync: ${name} must be >= 0, got ${resolved[name]}`);
    }
  }
  return resolved;
}
