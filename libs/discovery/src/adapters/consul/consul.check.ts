import type { ServiceInstance } from '../../service-instance.js';
import * as defaults from './consul.constants.js';
import { duration } from './consul.health.js';
import type { ConsulRegistryOptions } from './consul.options.js';

/**
 * The health check an instance registers with (the `consul` client's field names): Consul's
 * native gRPC check against the instance's advertised `address:port`, which the agent dials
 * (it must reach that address), or with `check: 'ttl'` a TTL check the registry passes.
 * Consul starts a check `critical` unless the registration gives a status: a TTL check is
 * registered `passing` when the app is healthy at registration (it registers once it
 * serves), instead of missing from `passing` results until its first heartbeat lands; a gRPC
 * check stays critical until the agent's first probe, within one interval.
 */
export function checkDefinition(
  instance: ServiceInstance,
  options: ConsulRegistryOptions,
  healthyNow: boolean,
): Record<string, unknown> {
  const deregistercriticalserviceafter = duration(
    options.deregisterCriticalAfterMs ?? defaults.DEFAULT_CONSUL_DEREGISTER_CRITICAL_AFTER_MS,
  );
  if (options.check === 'ttl') {
    return {
      ttl: duration(options.ttlMs ?? defaults.DEFAULT_CONSUL_TTL_MS),
      ...(healthyNow ? { status: 'passing' } : {}),
      deregistercriticalserviceafter,
    };
  }
  return {
    grpc: `${instance.address}:${instance.port}`,
    ...grpcCheckTls(instance),
    interval: duration(options.checkIntervalMs ?? defaults.DEFAULT_CONSUL_CHECK_INTERVAL_MS),
    timeout: duration(options.checkTimeoutMs ?? defaults.DEFAULT_CONSUL_CHECK_TIMEOUT_MS),
    deregistercriticalserviceafter,
  };
}

/**
 * The TLS fields of a gRPC check (Consul's GRPCUseTLS, TLSServerName) for an instance whose
 * server speaks TLS: @nestmesh/grpc sets metadata `grpc_tls` (`tls` | `mtls`). The agent
 * verifies the certificate against its own CA and the service name, which each service's
 * certificate carries as a DNS SAN. An mTLS server also wants a client certificate, which the
 * agent presents only when configured to (its `tls.grpc` settings); otherwise use `?check=ttl`.
 */
function grpcCheckTls(instance: ServiceInstance): Record<string, unknown> {
  const mode = instance.metadata.grpc_tls;
  return mode === 'tls' || mode === 'mtls' ? { grpcusetls: true, tlsservername: instance.name } : {};
}
