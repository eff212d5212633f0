import { Logger } from '@nestjs/common';
import type { Etcd3, Lease } from 'etcd3';
import { Backoff, etcdAuthFailure } from '@nestmesh/common';
import { setTimeout as sleep } from 'node:timers/promises';

import { abortable } from '../../abortable.js';
import { byId, type Catalog, type CatalogInstance, sortedNames } from '../../catalog.js';
import type { Discovery } from '../../discovery.js';
import { RegistryUnavailableError } from '../../discovery.errors.js';
import type { Registrar } from '../../registrar.js';
import type { ServiceInstance } from '../../service-instance.js';
import { isServiceName, validateInstance } from '../../validate-instance.js';
import { type WatchFeed, WatchSessions } from '../../watch-sessions.js';
import {
  DEFAULT_ETCD_PREFIX,
  DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
  DEFAULT_ETCD_TTL_SECONDS,
  ETCD_RENEW_RETRY_MS,
  ETCD_REREGISTER_BACKOFF,
  ETCD_REREGISTER_SPREAD_MS,
} from './etcd.constants.js';
import type { EtcdRegistryOptions } from './etcd.options.js';
import { createRegistryClient } from './etcd.client.js';
import { decodeInstance, encodeInstance } from './etcd.value.js';
import { renewLease } from './etcd.lease-renewal.js';
import { followPrefix } from './etcd.watch.js';

export type { EtcdRegistryOptions } from './etcd.options.js';

interface Registration {
  instance: ServiceInstance;
  /** Wall clock of register(); a re-registration after a lost lease keeps it. */
  registeredAt: Date;
  lease: Lease | undefined;
  closed: boolean;
  /** One re-registration loop at a time: a lease that fails to attach also reports 'lost'. */
  reattaching: boolean;
  /**
   * Whether register() has succeeded: a lease lost before that (its grant failed) is
   * register()'s failure to report, not something to repair in the background; one lost
   * after the put but before register() resumed is noted in `lostEarly` and repaired then.
   */
  registered: boolean;
  lostEarly: boolean;
}

/**
 * Discovery on etcd v3. Each registration owns one lease (never shared), kept alive by the
 * client, with the instance as JSON under `<prefix>/<name>/<id>`. When the lease is lost (etcd
 * wiped or restarted past the TTL, a partition longer than the TTL) the instance registers
 * itself again, retrying until etcd answers. Watches list the prefix, then follow it from the
 * next revision. The catalog lists what is in etcd, all `passing`: the lease is the liveness.
 */
export class EtcdRegistry implements Registrar, Discovery, Catalog {
  private readonly logger = new Logger('EtcdRegistry');
  private readonly client: Etcd3;
  /** The URL as errors show it (redacted there). */
  private readonly name: string;
  private readonly ttlSeconds: number;
  /** Upper bound of the random pause before a re-registration (see the option). */
  private readonly reregisterSpreadMs: number;
  /** Retry delays of a re-registration: ETCD_REREGISTER_BACKOFF, at most TTL/2. */
  private readonly reregisterBackoff: { initialMs: number; maxMs: number };
  private readonly prefix: string;
  private readonly registrations = new Map<string, Registration>();
  /** Open watches, ended by close(): etcd3 keeps reconnecting a watcher until it is cancelled. */
  private readonly watches = new WatchSessions();
  /** Aborted by close(): ends re-registration loops, sleeping ones included. */
  private readonly closing = new AbortController();

  constructor(private readonly options: EtcdRegistryOptions) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_ETCD_TTL_SECONDS;
    this.reregisterSpreadMs =
      options.reregisterSpreadMs ?? Math.min(ETCD_REREGISTER_SPREAD_MS, (this.ttlSeconds * 1000) / 5);
    const halfTtlMs = (this.ttlSeconds * 1000) / 2;
    this.reregisterBackoff = {
      initialMs: Math.min(ETCD_REREGISTER_BACKOFF.initialMs, halfTtlMs),
      maxMs: Math.min(ETCD_REREGISTER_BACKOFF.maxMs, halfTtlMs),
    };
    this.prefix = (options.prefix ?? DEFAULT_ETCD_PREFIX).replace(/\/+$/, '');
    this.name =
      options.url ?? `etcd://${options.hosts.map((host) => host.replace(/^https?:\/\//, '')).join(',')}`;
    this.client = createRegistryClient(options);
  }

  /**
   * Startup check: one read under the request deadline. Rejects with BackendAuthError when etcd
   * refuses the credentials; resolves on anything else (etcd away is not a configuration error).
   */
  async credentialsChecked(): Promise<void> {
    try {
      await this.client.get(`${this.prefix}/`).exists();
    } catch (error) {
      const refused = etcdAuthFailure(this.name, error);
      if (refused) throw refused;
    }
  }

  /** A refused password is BackendAuthError (fix the URL); anything else RegistryUnavailableError. */
  private failure(operation: string, error: unknown): Error {
    return etcdAuthFailure(this.name, error) ?? new RegistryUnavailableError('etcd', operation, error);
  }

  private keyOf(instance: ServiceInstance): string {
    return `${this.prefix}/${instance.name}/${instance.id}`;
  }

  async register(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    signal?.throwIfAborted();
    validateInstance(instance);
    await this.deregister(instance);
    const registration: Registration = {
      instance,
      registeredAt: new Date(),
      lease: undefined,
      closed: false,
      reattaching: false,
      registered: false,
      lostEarly: false,
    };
    this.registrations.set(instance.id, registration);
    try {
      await this.attach(registration);
    } catch (error) {
      registration.closed = true;
      registration.lease?.release();
      this.registrations.delete(instance.id);
      throw this.failure(`registering ${instance.id}`, error);
    }
    registration.registered = true;
    if (registration.lostEarly) void this.reattach(registration);
  }

  async deregister(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    signal?.throwIfAborted();
    const registration = this.registrations.get(instance.id);
    if (!registration) return;
    registration.closed = true;
    this.registrations.delete(instance.id);
    try {
      await registration.lease?.revoke();
    } catch (error) {
      throw this.failure(`deregistering ${instance.id}`, error);
    }
  }

  async instances(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<ServiceInstance[]> {
    signal?.throwIfAborted();
    const values = await this.read(`${this.prefix}/${name}/`, `listing ${name}`);
    return Object.values(values).flatMap((value) => this.parse(value));
  }

  /** One range read of the whole prefix; a service is listed while one of its keys holds an instance. */
  async services({ signal }: { signal?: AbortSignal } = {}): Promise<string[]> {
    signal?.throwIfAborted();
    const values = await abortable(this.read(`${this.prefix}/`, 'listing services'), signal);
    const names = Object.entries(values)
      .filter(([, value]) => decodeInstance(value))
      .map(([key]) => key.slice(this.prefix.length + 1).split('/')[0]);
    return sortedNames(names);
  }

  /** One range read of the service's prefix; `registeredAt` is missing from values written before it existed. */
  async catalog(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<CatalogInstance[]> {
    signal?.throwIfAborted();
    if (!isServiceName(name)) return []; // cannot be registered; and must not read another prefix
    const values = await abortable(this.read(`${this.prefix}/${name}/`, `listing ${name}`), signal);
    const instances = Object.values(values).flatMap((value) => {
      const stored = decodeInstance(value);
      if (!stored) return [];
      const { instance, registeredAt } = stored;
      return [{ ...instance, health: 'passing' as const, ...(registeredAt ? { registeredAt } : {}) }];
    });
    return byId(instances);
  }

  /** Every key under `prefix` with its value, in one range read. */
  private async read(prefix: string, operation: string): Promise<Record<string, string>> {
    try {
      return await this.client.getAll().prefix(prefix).strings();
    } catch (error) {
      throw this.failure(operation, error);
    }
  }

  /**
   * Lists the prefix, then follows it from the next revision. Throws RegistryUnavailableError
   * when the listing fails, or when the watch stream cannot be set up or breaks (etcd down or
   * unreachable, a compacted revision); etcd3 would otherwise retry the stream silently.
   */
  watch(name: string, { signal }: { signal?: AbortSignal } = {}): AsyncIterable<ServiceInstance[]> {
    return this.watches.run(signal, (feed) => this.follow(name, feed));
  }

  /** Ends every watch, stops every lease's keep-alive and closes the client; keys expire with their leases. */
  close(): void {
    this.closing.abort();
    for (const registration of this.registrations.values()) {
      registration.closed = true;
      registration.lease?.release();
    }
    this.watches.close();
    this.client.close();
  }

  private follow(name: string, feed: WatchFeed): Promise<void> {
    return followPrefix(this.client, `${this.prefix}/${name}/`, feed, {
      parse: (value) => this.parse(value),
      unavailable: (error) => this.failure(`watching ${name}`, error),
      resumeWithinMs: this.options.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
    });
  }

  private parse(value: string): ServiceInstance[] {
    const stored = decodeInstance(value);
    return stored ? [stored.instance] : []; // not ours, or corrupt: never route to it
  }

  /**
   * Grants a lease, puts the instance under it and renews it (renewLease); re-attaches by itself
   * if the lease is lost.
   */
  private async attach(registration: Registration): Promise<void> {
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: false });
    const onLost = (error: Error) => {
      if (registration.closed || registration.lease !== lease || registration.reattaching) return;
      if (!registration.registered) {
        registration.lostEarly = true;
        return;
      }
      this.logger.warn(`lease of ${registration.instance.id} lost (${error.message}); registering again`);
      void this.reattach(registration);
    };
    lease.on('lost', onLost);
    registration.lease = lease;
    await lease
      .put(this.keyOf(registration.instance))
      .value(encodeInstance(registration.instance, registration.registeredAt));
    renewLease(lease, {
      ttlSeconds: this.ttlSeconds,
      requestTimeoutMs: this.options.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
      retryIntervalMs: ETCD_RENEW_RETRY_MS,
      onUnconfirmed: onLost,
    });
  }

  private async reattach(registration: Registration): Promise<void> {
    registration.reattaching = true;
    try {
      registration.lease?.release();
      const backoff = new Backoff(this.reregisterBackoff);
      // Spread the instances that lost their leases together (see ETCD_REREGISTER_SPREAD_MS).
      const spreadMs = Math.random() * this.reregisterSpreadMs;
      if (spreadMs > 0)
        await sleep(spreadMs, undefined, { signal: this.closing.signal }).catch(() => undefined);
      while (!registration.closed) {
        try {
          await this.attach(registration);
          if (registration.closed) await registration.lease?.revoke().catch(() => undefined);
          else this.logger.log(`${registration.instance.id} registered again`);
          return;
        } catch {
          registration.lease?.release();
          await sleep(backoff.next(), undefined, { signal: this.closing.signal }).catch(() => undefined);
        }
      }
    } finally {
      registration.reattaching = false;
    }
  }
}
