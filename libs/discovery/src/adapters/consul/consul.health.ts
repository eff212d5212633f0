import type { CatalogInstance, InstanceHealth } from '../../catalog.js';
import type { ServiceInstance } from '../../service-instance.js';
import { CONSUL_REGISTERED_AT_META_KEY } from './consul.constants.js';

/** One check of a health entry, the fields we read. */
export interface HealthCheck {
  CheckID: string;
  Name?: string;
  Status: string;
  Notes?: string;
  Output?: string;
}

/** One entry of `/v1/health/service/<name>`, the fields we read. */
export interface HealthEntry {
  Service: {
    ID: string;
    Service: string;
    Address: string;
    Port: number;
    Tags: string[] | null;
    Meta: Record<string, string> | null;
  };
  Node?: { Address?: string };
  /** The node's checks (serfHealth) and the instance's own, maintenance included. */
  Checks?: HealthCheck[] | null;
}

/** Consul durations: whole seconds as `10s`, anything else in ms. */
export function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

/**
 * A health entry as an instance; Consul leaves Address empty when the service uses its node's.
 * The registered-at Meta entry is ours, not the app's: it is left out of `metadata`.
 */
export function toInstance({ Service, Node }: HealthEntry): ServiceInstance {
  const { [CONSUL_REGISTERED_AT_META_KEY]: _registeredAt, ...metadata } = Service.Meta ?? {};
  return {
    id: Service.ID,
    name: Service.Service,
    address: Service.Address || Node?.Address || '',
    port: Service.Port,
    tags: Service.Tags ?? [],
    metadata,
  };
}

/** A health entry as the catalog shows it: its health, why, and when it registered. */
export function toCatalogInstance(entry: HealthEntry): CatalogInstance {
  const { health, detail } = healthOf(entry.Checks ?? []);
  const stamp = entry.Service.Meta?.[CONSUL_REGISTERED_AT_META_KEY];
  const registeredAt = stamp === undefined ? undefined : new Date(stamp);
  return {
    ...toInstance(entry),
    health,
    ...(detail ? { healthDetail: detail } : {}),
    ...(registeredAt && !Number.isNaN(registeredAt.getTime()) ? { registeredAt } : {}),
  };
}

const rank: Record<InstanceHealth, number> = { passing: 0, warning: 1, critical: 2 };

/**
 * Consul's aggregate rule: any critical check → critical, else any warning → warning, else
 * passing (a status Consul may add later counts as critical, as `?passing` excludes it). The
 * detail is the worst non-passing check's Output, else its Notes (a maintenance check has
 * only the reason), else its name.
 */
export function healthOf(checks: readonly HealthCheck[]): { health: InstanceHealth; detail?: string } {
  let worst: { health: InstanceHealth; check?: HealthCheck } = { health: 'passing' };
  for (const check of checks) {
    const health: InstanceHealth =
      check.Status === 'passing' || check.Status === 'warning' ? check.Status : 'critical';
    if (rank[health] > rank[worst.health]) worst = { health, check };
  }
  const { check } = worst;
  const detail = check && (check.Output?.trim() || check.Notes?.trim() || check.Name || check.CheckID);
  return detail ? { health: worst.health, detail } : { health: worst.health };
}
