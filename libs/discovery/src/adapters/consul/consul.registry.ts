import { Logger } from '@nestjs/common';
import { BackendAuthError } from '@nestmesh/common';

import { InvalidDiscoveryOptionsError } from '../../discovery.errors.js';

import { byId, type Catalog, type CatalogInstance, sortedNames } from '../../catalog.js';
import type { Discovery } from '../../discovery.js';
import type { RegisterOptions, Registrar } from '../../registrar.js';
import type { ServiceInstance } from '../../service-instance.js';
import { isServiceName, validateInstance } from '../../validate-instance.js';
import { WatchSessions } from '../../watch-sessions.js';
import {
  ConsulRequests,
  consulName,
  createConsulClient,
  isMissingTtlCheck,
  isUnknownService,
  type ConsulClient,
} from './consul.client.js';
import * as defaults from './consul.constants.js';
import { CONSUL_REGISTERED_AT_META_KEY } from './consul.constants.js';
import { toCatalogInstance, toInstance, type HealthEntry } from './consul.health.js';
import { TtlHeartbeats } from './consul.heartbeat.js';
import { followPassing } from './consul.watch.js';
import { checkDefinition } from './consul.check.js';
import { validateOptions, type ConsulRegistryOptions } from './consul.options.js';

export type { ConsulRegistryOptions } from './consul.options.js';

/**
 * Discovery on a Consul agent (the `consul` client). Registers each instance with a native gRPC
 * health check against its grpc.health.v1 service (or a TTL check passed while the app is
 * healthy), and discovers with `/v1/health/service/<name>?passing` blocking queries.
 * `deregister` puts the instance into maintenance: it leaves `passing` results at once, without
 * waiting for the next check, while the app drains. It is removed from the catalog by `close()`
 * (which the DiscoveryModule calls after the app has drained) or `removeAfterMs` later.
 * The Catalog reads `/v1/catalog/services` and `/v1/health/service/<name>` without `passing`,
 * so instances failing their checks (or in maintenance) are listed, as `critical` or `warning`.
 */
export class ConsulRegistry implements Registrar, Discovery, Catalog {
  private readonly logger = new Logger('ConsulRegistry');
  private readonly consul: ConsulClient;
  private readonly heartbeats: TtlHeartbeats;
  private readonly watches = new WatchSessions();
  /** Set by close(): requests cancelled from then on are not worth a warning. */
  private closed = false;
  private readonly requests: ConsulRequests;
  /** Instances in maintenance, to be removed once the app has drained (close) or after a delay. */
  private readonly leaving = new Map<string, NodeJS.Timeout>();
  /** When the heartbeat last registered an instance again (at most once per interval). */
  private readonly reregisteredAt = new Map<string, number>();

  constructor(private readonly options: ConsulRegistryOptions = {}) {
    validateOptions(options);
    this.heartbeats = new TtlHeartbeats(options.heartbeatScheduler);
    this.consul = createConsulClient(options);
    this.requests = new ConsulRequests(consulName(options));
  }

  /**
   * Startup check: one catalog read (Consul filters it by the token's rights rather than
   * refusing it). Rejects with BackendAuthError when Consul does not know the token, and with
   * InvalidDiscoveryOptionsError when a namespace is configured against a community edition
   * agent; resolves on anything else (the agent away is not a configuration error).
   */
  async credentialsChecked(): Promise<void> {
    try {
      await this.services();
    } catch (error) {
      if (error instanceof BackendAuthError || error instanceof InvalidDiscoveryOptionsError) throw error;
    }
  }

  async register(instance: ServiceInstance, { signal, healthy }: RegisterOptions = {}): Promise<void> {
    signal?.throwIfAborted();
    validateInstance(instance);
    const { options } = this;
    const ttl = options.check === 'ttl';
    const appHealthy = healthy ?? (() => true);
    const check = checkDefinition(instance, options, appHealthy());
    await this.requests.call(`registering ${instance.id}`, (ctx) =>
      this.consul.agent.service.register({
        id: instance.id,
        name: instance.name,
        address: instance.address,
        port: instance.port,
        tags: [...instance.tags],
        meta: { ...instance.metadata, [CONSUL_REGISTERED_AT_META_KEY]: new Date().toISOString() },
        check,
        ctx,
        timeout: this.requestTimeoutMs,
      } as never),
    );
    const intervalMs = (options.ttlMs ?? defaults.DEFAULT_CONSUL_TTL_MS) / 3;
    if (ttl) this.heartbeats.start(instance.id, this.heartbeat(instance, appHealthy), intervalMs);
    else this.heartbeats.stop(instance.id);
  }

  /** Puts the instance into maintenance; an id the agent does not have (never registered, or reaped) is done. */
  async deregister(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    signal?.throwIfAborted();
    this.heartbeats.stop(instance.id);
    const drained = await this.requests
      .call(`putting ${instance.id} into maintenance`, (ctx) =>
        this.consul.agent.service.maintenance({
          id: instance.id,
          enable: true,
          reason: 'draining before shutdown',
          ctx,
          timeout: this.requestTimeoutMs,
        } as never),
      )
      .then(
        () => true,
        (error: unknown) => {
          if (isUnknownService(error)) return false; // Consul's 404: nothing to drain or remove
          throw error;
        },
      );
    if (!drained) return;
    const timer = setTimeout(
      () => void this.remove(instance.id).catch((error: unknown) => this.logger.warn(String(error))),
      this.options.removeAfterMs ?? defaults.DEFAULT_CONSUL_REMOVE_AFTER_MS,
    );
    timer.unref();
    this.leaving.set(instance.id, timer);
  }

  private async remove(id: string): Promise<void> {
    clearTimeout(this.leaving.get(id));
    this.leaving.delete(id);
    await this.requests
      .call(`deregistering ${id}`, (ctx) =>
        this.consul.agent.service.deregister({ id, ctx, timeout: this.requestTimeoutMs } as never),
      )
      .catch((error: unknown) => {
        if (!isUnknownService(error)) throw error; // already gone (reaped): done
      });
  }

  async instances(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<ServiceInstance[]> {
    signal?.throwIfAborted();
    const [, body] = await this.requests.call(`listing ${name}`, (ctx) =>
      this.consul.health.service({
        service: name,
        passing: true,
        ctx,
        timeout: this.requestTimeoutMs,
      } as never),
    );
    return (body as HealthEntry[]).map(toInstance);
  }

  /** `/v1/catalog/services`: every service with a registered instance, whatever its health. */
  async services({ signal }: { signal?: AbortSignal } = {}): Promise<string[]> {
    signal?.throwIfAborted();
    const [, body] = await this.requests.read(
      'listing services',
      (ctx) => this.consul.catalog.service.list({ ctx, timeout: this.requestTimeoutMs } as never),
      signal,
    );
    return sortedNames(Object.keys(body as Record<string, string[]>));
  }

  /** `/v1/health/service/<name>` without `passing`: health is the worst of each instance's checks. */
  async catalog(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<CatalogInstance[]> {
    signal?.throwIfAborted();
    if (!isServiceName(name)) return []; // cannot be registered, nor be a path segment
    const [, body] = await this.requests.read(
      `listing ${name}`,
      (ctx) => this.consul.health.service({ service: name, ctx, timeout: this.requestTimeoutMs } as never),
      signal,
    );
    return byId((body as HealthEntry[]).map(toCatalogInstance));
  }

  /**
   * Blocking queries, as Consul documents them: follow X-Consul-Index; reset to 0 when it goes
   * backwards; never send index 0 twice in a row without a pause; `wait` plus jitter, with a
   * client timeout above it; yield only when the passing instances actually changed. A failed
   * query (agent down, an error status, no answer within its timeout) ends the watch with
   * RegistryUnavailableError, as for every backend (see Discovery); a token Consul refuses
   * (403) ends it with BackendAuthError, which retrying cannot mend.
   */
  watch(name: string, { signal }: { signal?: AbortSignal } = {}): AsyncIterable<ServiceInstance[]> {
    const { consul, requests, requestTimeoutMs } = this;
    const waitMs = this.options.waitMs ?? defaults.DEFAULT_CONSUL_WAIT_MS;
    return this.watches.run(signal, (feed) =>
      followPassing({ consul, requests, requestTimeoutMs, waitMs }, name, feed),
    );
  }

  /**
   * Ends every watch, stops heartbeats, cancels requests in flight (blocking queries
   * included) and removes the instances left in maintenance by `deregister` (the app has
   * drained by now).
   */
  async close(): Promise<void> {
    this.closed = true;
    this.watches.close();
    this.heartbeats.stopAll();
    this.requests.cancelAll();
    const removals = await Promise.allSettled([...this.leaving.keys()].map((id) => this.remove(id)));
    for (const removal of removals) {
      if (removal.status === 'rejected') {
        this.logger.warn(`${String(removal.reason)}; Consul removes it after DeregisterCriticalServiceAfter`);
      }
    }
    this.consul.destroy(); // its keep-alive sockets
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? defaults.DEFAULT_CONSUL_REQUEST_TIMEOUT_MS;
  }

  /**
   * One beat of the TTL check of `instance`: pass while the app is healthy, fail when not. When
   * the agent no longer has the check (Consul's 500 "does not have associated TTL": it reaped
   * the instance while this process was paused or cut off past DeregisterCriticalServiceAfter,
   * or the agent restarted without its data, as `consul agent -dev` does), the instance is
   * registered again, at most once per heartbeat interval.
   */
  private heartbeat(instance: ServiceInstance, healthy: () => boolean): () => Promise<void> {
    const intervalMs = (this.options.ttlMs ?? defaults.DEFAULT_CONSUL_TTL_MS) / 3;
    // Through call(), so that close() cancels a heartbeat in flight.
    return async () => {
      const passing = healthy();
      await this.requests
        .call(`the TTL check of ${instance.id}`, (ctx) =>
          this.consul.agent.check[passing ? 'pass' : 'fail']({
            id: `service:${instance.id}`,
            note: passing ? 'healthy' : 'the app reports NOT_SERVING',
            ctx,
            timeout: this.requestTimeoutMs,
          } as never),
        )
        .catch(async (error: unknown) => {
          if (this.closed) return;
          this.logger.warn(String(error));
          const lastMs = this.reregisteredAt.get(instance.id) ?? -Infinity;
          if (!isMissingTtlCheck(error) || performance.now() - lastMs < intervalMs) return;
          this.reregisteredAt.set(instance.id, performance.now());
          this.logger.warn(
            `the agent no longer has ${instance.id} (reaped, or restarted without its data): registering it again`,
          );
          await this.register(instance, { healthy }).catch((failure: unknown) =>
            this.logger.warn(String(failure)),
          );
        });
    };
  }
}
