// The catalog of the stand-in Consul agent, and its indexes, as Consul's state store keeps them
// (facts from its source, agent/consul/state/catalog.go, and the blocking-query docs):
// - every write takes the next index; a change to a service's instances or their checks sets
//   that service's own index (`service.<name>`), so X-Consul-Index of /v1/health/service/<name>
//   moves only when that service changed; a service with no instance answers with the index of
//   the last time any service lost its last instance (`service_last_extinction`), else the
//   catalog's; /v1/catalog/services follows the services table (registrations and removals);
// - a blocking query (`index` > 0) waits until the index it reads is past `index`, or its wait
//   ends (default 5 min, at most 10: Consul's defaultQueryTime and maxQueryTime);
// - the reaper runs every 30 s and deregisters a service one of whose checks has been critical
//   longer than its DeregisterCriticalServiceAfter (agent.go reapServices; docs: "the process
//   that reaps critical services runs every 30 seconds").
import { FakeServiceChecks } from './fake-consul-checks.fixture.js';
import type { FakeAgentClock } from './fake-consul-parse.fixture.js';

/** How often Consul's agent looks for services to reap (its CheckReapInterval). */
export const CONSUL_REAP_INTERVAL_MS = 30_000;
const DEFAULT_QUERY_TIME_MS = 300_000;
const MAX_QUERY_TIME_MS = 600_000;

export interface Registered {
  body: Record<string, unknown>;
  checks: FakeServiceChecks;
  /** `default` unless registered with `ns` on an Enterprise stand-in. */
  namespace: string;
}

export class FakeConsulState {
  /** By service ID. */
  readonly services = new Map<string, Registered>();
  /** The index of the last write. */
  index = 1;
  private readonly serviceIndexes = new Map<string, number>();
  private servicesTableIndex = 1;
  private lastExtinction = 0;
  private readonly waiters = new Set<() => void>();
  private reaper: object | undefined;
  private stopped = false;

  constructor(private readonly clock: FakeAgentClock) {}

  register(body: Record<string, unknown>, namespace: string): void {
    const id = String(body.ID);
    this.services.get(id)?.checks.stopTimers();
    const name = String(body.Name);
    const checks = new FakeServiceChecks(body, this.clock, () => this.serviceChanged(namespace, name));
    this.services.set(id, { body, checks, namespace });
    this.servicesTableIndex = this.serviceChanged(namespace, name);
  }

  /** Removes the instance `id`; false when there was none. */
  deregister(id: string): boolean {
    const service = this.services.get(id);
    if (!service) return false;
    service.checks.stopTimers();
    this.services.delete(id);
    const name = String(service.body.Name);
    this.servicesTableIndex = this.serviceChanged(service.namespace, name);
    if (this.instancesOf(service.namespace, name).length === 0) this.lastExtinction = this.index;
    return true;
  }

  /** A write touching the instances (or checks) of `name`: the next index, stamped on it. */
  serviceChanged(namespace: string, name: string): number {
    this.serviceIndexes.set(`${namespace}/${name}`, ++this.index);
    this.wake();
    return this.index;
  }

  /** A write touching no service (another part of the catalog). */
  otherChange(): void {
    this.index++;
    this.wake();
  }

  instancesOf(namespace: string, name: string): Registered[] {
    return [...this.services.values()].filter(
      (service) => service.namespace === namespace && service.body.Name === name,
    );
  }

  /** X-Consul-Index of /v1/health/service/<name>. */
  serviceIndex(namespace: string, name: string): number {
    if (this.instancesOf(namespace, name).length === 0 && this.lastExtinction > 0) return this.lastExtinction;
    return this.serviceIndexes.get(`${namespace}/${name}`) ?? this.index;
  }

  /** X-Consul-Index of /v1/catalog/services. */
  get servicesIndex(): number {
    return this.servicesTableIndex;
  }

  /** A blocking query: resolves once `current()` is past `minIndex`, or after the wait. */
  async block(current: () => number, minIndex: number, waitMs: number | undefined): Promise<void> {
    if (minIndex <= 0 || current() > minIndex) return;
    const timeoutMs = Math.min(waitMs || DEFAULT_QUERY_TIME_MS, MAX_QUERY_TIME_MS);
    const deadline = performance.now() + timeoutMs;
    while (!this.stopped && current() <= minIndex && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - performance.now()).unref();
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.add(wake);
      });
    }
  }

  /** Wakes every blocking query (each checks its own index again). */
  wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Starts the reaper and the TTL timers (the agent starting with its data). */
  resume(): void {
    this.stopped = false;
    for (const { checks } of this.services.values()) checks.armAll();
    const cycle = () => {
      for (const [id, { checks }] of this.services) if (checks.dueForReaping()) this.deregister(id);
      this.reaper = this.clock.setTimeout(cycle, CONSUL_REAP_INTERVAL_MS);
    };
    this.clock.clearTimeout(this.reaper);
    this.reaper = this.clock.setTimeout(cycle, CONSUL_REAP_INTERVAL_MS);
  }

  /** Stops every timer and releases blocking queries (the agent stopping). */
  pause(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.reaper);
    this.reaper = undefined;
    for (const { checks } of this.services.values()) checks.stopTimers();
    this.wake();
  }
}
