import { promiseTry } from '@nestmesh/common';

import { byId, type Catalog, type CatalogInstance, sortedNames } from '../../catalog.js';
import type { Discovery } from '../../discovery.js';
import type { Registrar } from '../../registrar.js';
import type { ServiceInstance } from '../../service-instance.js';
import { validateInstance } from '../../validate-instance.js';
import { WatchSessions } from '../../watch-sessions.js';

/** An instance as the store keeps it: frozen, with when it registered. */
interface Entry {
  readonly instance: ServiceInstance;
  readonly registeredAt: Date;
}

/** The instances themselves, shared by every MemoryRegistry handle on one named registry. */
class MemoryStore {
  readonly services = new Map<string, Map<string, Entry>>();
  readonly listeners = new Map<string, Set<() => void>>();

  snapshot(name: string): ServiceInstance[] {
    return [...(this.services.get(name)?.values() ?? [])].map((entry) => entry.instance);
  }

  notify(name: string): void {
    for (const listener of this.listeners.get(name) ?? []) listener();
  }
}

const namedStores = new Map<string, MemoryStore>();

export interface MemoryRegistryOptions {
  /** The wall clock that stamps `registeredAt` at register. Default: `new Date()`. */
  now?: () => Date;
}

/**
 * The embedded registry: instances live in this process's memory, so every app in the
 * process that uses the same registry name sees the others. Changes reach watchers at once.
 * Tests pass a fresh name (`memory://<test>`) to stay isolated. Each `named()` call is its
 * own handle on the shared instances, so one app's `close()` ends only its own watches.
 * Its catalog lists every registered instance as `passing` (being in memory is being alive).
 */
export class MemoryRegistry implements Registrar, Discovery, Catalog {
  private readonly watches = new WatchSessions();
  private readonly now: () => Date;

  constructor(
    private readonly store = new MemoryStore(),
    options: MemoryRegistryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** A new handle on the process-wide registry called `name` (`''` is the default, `memory://`). */
  static named(name = '', options: MemoryRegistryOptions = {}): MemoryRegistry {
    let store = namedStores.get(name);
    if (!store) {
      store = new MemoryStore();
      namedStores.set(name, store);
    }
    return new MemoryRegistry(store, options);
  }

  // Synchronous, hence atomic; promiseTry makes an abort or an invalid instance a rejection.
  register(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      validateInstance(instance);
      const ofService = this.store.services.get(instance.name) ?? new Map<string, Entry>();
      this.store.services.set(instance.name, ofService);
      ofService.set(instance.id, {
        instance: Object.freeze({
          ...instance,
          tags: [...instance.tags],
          metadata: { ...instance.metadata },
        }),
        registeredAt: new Date(this.now()),
      });
      this.store.notify(instance.name);
    });
  }

  deregister(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      const ofService = this.store.services.get(instance.name);
      if (!ofService?.delete(instance.id)) return;
      if (ofService.size === 0) this.store.services.delete(instance.name);
      this.store.notify(instance.name);
    });
  }

  instances(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<ServiceInstance[]> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      return this.store.snapshot(name);
    });
  }

  watch(name: string, { signal }: { signal?: AbortSignal } = {}): AsyncIterable<ServiceInstance[]> {
    return this.watches.run(signal, (feed) => {
      const listeners = this.store.listeners.get(name) ?? new Set();
      this.store.listeners.set(name, listeners);
      const listener = () => feed.publish(this.store.snapshot(name));
      listeners.add(listener);
      const stop = () => {
        listeners.delete(listener);
        if (listeners.size === 0 && this.store.listeners.get(name) === listeners)
          this.store.listeners.delete(name);
      };
      feed.signal.addEventListener('abort', stop, { once: true });
      listener();
    });
  }

  services({ signal }: { signal?: AbortSignal } = {}): Promise<string[]> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      return sortedNames(this.store.services.keys());
    });
  }

  catalog(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<CatalogInstance[]> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      const entries = [...(this.store.services.get(name)?.values() ?? [])];
      return byId(
        entries.map(({ instance, registeredAt }) => ({
          ...instance,
          health: 'passing' as const,
          registeredAt: new Date(registeredAt),
        })),
      );
    });
  }

  /** Ends this handle's watches; the instances stay for the other handles. */
  close(): void {
    this.watches.close();
  }
}
