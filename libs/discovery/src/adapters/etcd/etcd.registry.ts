import { Logger } from '@nestjs/common';
import { Etcd3, type IKeyValue, type Lease } from 'etcd3';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Discovery } from '../../discovery.js';
import { RegistryUnavailableError } from '../../discovery.errors.js';
import { instanceListKey } from '../../instance-list.js';
import { LatestValueChannel } from '../../latest-value.channel.js';
import type { Registrar } from '../../registrar.js';
import type { ServiceInstance } from '../../service-instance.js';
import { validateInstance } from '../../validate-instance.js';
import {
  DEFAULT_ETCD_PREFIX,
  DEFAULT_ETCD_REQUEST_TIMEOUT_MS,
  DEFAULT_ETCD_TTL_SECONDS,
  ETCD_RETRY_BACKOFF_MS,
} from './etcd.constants.js';

export interface EtcdRegistryOptions {
  /** Client URLs, e.g. `['http://127.0.0.1:2379']`. */
  hosts: string[];
  /** Lease TTL of each registration, in seconds. Default 5; keep-alives go out every TTL/3. */
  ttlSeconds?: number;
  /** Key prefix. Default `/nestmesh/services`. */
  prefix?: string;
  /** Deadline of each etcd request, in ms. Default 3000. */
  requestTimeoutMs?: number;
  auth?: { username: string; password: string };
}

interface Registration {
  instance: ServiceInstance;
  lease: Lease | undefined;
  closed: boolean;
  /** One re-registration loop at a time: a lease that fails to attach also reports 'lost'. */
  reattaching: boolean;
}

/**
 * Discovery on etcd v3. Each registration owns one lease (never shared), kept alive by the
 * client, with the instance as JSON under `<prefix>/<name>/<id>`. When the lease is lost (etcd
 * wiped or restarted past the TTL, a partition longer than the TTL) the instance registers
 * itself again, retrying until etcd answers. Watches list the prefix, then follow it from the
 * next revision.
 */
export class EtcdRegistry implements Registrar, Discovery {
  private readonly logger = new Logger('EtcdRegistry');
  private readonly client: Etcd3;
  private readonly ttlSeconds: number;
  private readonly prefix: string;
  private readonly registrations = new Map<string, Registration>();
  /** Open watches, ended by close(): etcd3 keeps reconnecting a watcher until it is cancelled. */
  private readonly watches = new Set<() => void>();

  constructor(private readonly options: EtcdRegistryOptions) {
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_ETCD_TTL_SECONDS;
    this.prefix = (options.prefix ?? DEFAULT_ETCD_PREFIX).replace(/\/+$/, '');
    this.client = new Etcd3({
      hosts: options.hosts,
      auth: options.auth,
      // Unary requests get a deadline so a down etcd fails them instead of hanging; the
      // watch and keep-alive streams live as long as the client.
      defaultCallOptions: (context) =>
        context.isStream
          ? {}
          : { deadline: Date.now() + (options.requestTimeoutMs ?? DEFAULT_ETCD_REQUEST_TIMEOUT_MS) },
    });
  }

  private keyOf(instance: ServiceInstance): string {
    return `${this.prefix}/${instance.name}/${instance.id}`;
  }

  async register(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    signal?.throwIfAborted();
    validateInstance(instance);
    await this.deregister(instance);
    const registration: Registration = { instance, lease: undefined, closed: false, reattaching: false };
    this.registrations.set(instance.id, registration);
    try {
      await this.attach(registration);
    } catch (error) {
      this.registrations.delete(instance.id);
      throw new RegistryUnavailableError('etcd', `registering ${instance.id}`, error);
    }
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
      throw new RegistryUnavailableError('etcd', `deregistering ${instance.id}`, error);
    }
  }

  async instances(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<ServiceInstance[]> {
    signal?.throwIfAborted();
    try {
      const values = await this.client.getAll().prefix(`${this.prefix}/${name}/`).strings();
      return Object.values(values).flatMap((value) => this.parse(value));
    } catch (error) {
      throw new RegistryUnavailableError('etcd', `listing ${name}`, error);
    }
  }

  async *watch(name: string, { signal }: { signal?: AbortSignal } = {}): AsyncIterable<ServiceInstance[]> {
    signal?.throwIfAborted();
    const prefix = `${this.prefix}/${name}/`;
    const current = new Map<string, ServiceInstance>();
    const channel = new LatestValueChannel<ServiceInstance[] | Error>();
    let lastKey = '';
    const publish = () => {
      const list = [...current.values()];
      const key = instanceListKey(list);
      if (key === lastKey) return; // a re-put of the same data is not a change
      lastKey = key;
      channel.publish(list);
    };
    let listing;
    try {
      listing = await this.client.getAll().prefix(prefix).exec();
    } catch (error) {
      throw new RegistryUnavailableError('etcd', `watching ${name}`, error);
    }
    for (const kv of listing.kvs)
      for (const instance of this.parse(kv.value.toString())) current.set(kv.key.toString(), instance);
    publish();
    const watcher = await this.client
      .watch()
      .prefix(prefix)
      .startRevision(String(Number(listing.header.revision) + 1))
      .create();
    watcher.on('put', (kv: IKeyValue) => {
      const [instance] = this.parse(kv.value.toString());
      if (instance) current.set(kv.key.toString(), instance);
      publish();
    });
    watcher.on('delete', (kv: IKeyValue) => {
      current.delete(kv.key.toString());
      publish();
    });
    watcher.on('error', (error: Error) =>
      channel.publish(new RegistryUnavailableError('etcd', `watching ${name}`, error)),
    );
    const onAbort = () => channel.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.watches.add(onAbort);
    try {
      for (let next = await channel.next(); !next.done; next = await channel.next()) {
        if (next.value instanceof Error) throw next.value;
        yield next.value;
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.watches.delete(onAbort);
      // Not awaited: with etcd down the cancel request itself would wait for it.
      watcher.cancel().catch(() => undefined);
    }
  }

  /** Ends every watch and closes the client; registrations are left to expire with their leases. */
  close(): void {
    for (const registration of this.registrations.values()) registration.closed = true;
    for (const end of this.watches) end();
    this.client.close();
  }

  private parse(value: string): ServiceInstance[] {
    try {
      return [JSON.parse(value) as ServiceInstance];
    } catch {
      return []; // not ours, or corrupt: never route to it
    }
  }

  /** Grants a lease and puts the instance under it; re-attaches by itself if the lease is lost. */
  private async attach(registration: Registration): Promise<void> {
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: true });
    lease.on('lost', (error: Error) => {
      if (registration.closed || registration.lease !== lease || registration.reattaching) return;
      this.logger.warn(`lease of ${registration.instance.id} lost (${error.message}); registering again`);
      void this.reattach(registration);
    });
    registration.lease = lease;
    await lease.put(this.keyOf(registration.instance)).value(JSON.stringify(registration.instance));
  }

  private async reattach(registration: Registration): Promise<void> {
    registration.reattaching = true;
    try {
      registration.lease?.release();
      for (let attempt = 0; !registration.closed; attempt++) {
        try {
          await this.attach(registration);
          if (registration.closed) await registration.lease?.revoke().catch(() => undefined);
          else this.logger.log(`${registration.instance.id} registered again`);
          return;
        } catch {
          registration.lease?.release();
          const delayMs = Math.min(ETCD_RETRY_BACKOFF_MS[0] * 2 ** attempt, ETCD_RETRY_BACKOFF_MS[1]);
          await sleep(delayMs * (0.5 + Math.random() / 2));
        }
      }
    } finally {
      registration.reattaching = false;
    }
  }
}
