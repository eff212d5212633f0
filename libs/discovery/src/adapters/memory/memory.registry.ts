import { promiseTry } from '@nestmesh/common';

import type { Discovery } from '../../discovery.js';
import type { Registrar } from '../../registrar.js';
import type { ServiceInstance } from '../../service-instance.js';
import { validateInstance } from '../../validate-instance.js';
import { WatchSessions } from '../../watch-sessions.js';

/** The instances themselves, shared by every MemoryRegistry handle on one named registry. */
class MemoryStore {
  readonly services = new Map<string, Map<string, ServiceInstance>>();
  readonly listeners = new Map<string, Set<() => void>>();

  snapshot(name: string): ServiceInstance[] {
    return [...(this.services.get(name)?.values() ?? [])];
  }

  notify(name: string): void {
    for (const listener of this.listeners.get(name) ?? []) listener();
  }
}

const namedStores = new Map<string, MemoryStore>();

/**
 * The embedded registry: instances live in this process's memory, so every app in the
 * process that uses the same registry name sees the others. Changes reach watchers at once.
 * Tests pass a fresh name (`memory://<test>`) to stay isolated. Each `named()` call is its
 * own handle on the shared instances, so one app's `close()` ends only its own watches.
 */
export class MemoryRegistry implements Registrar, Discovery {
  private readonly watches = new WatchSessions();

  constructor(private readonly store = new MemoryStore()) {}

  /** A new handle on the process-wide registry called `name` (`''` is the default, `memory://`). */
  static named(name = ''): MemoryRegistry {
    let store = namedStores.get(name);
    if (!store) {
      store = new MemoryStore();
      namedStores.set(name, store);
    }
    return new MemoryRegistry(store);
  }

  // Synchronous, hence atomic; promiseTry makes an abort or an invalid instance a rejection.
  register(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      validateInstance(instance);
      const byId = this.store.services.get(instance.name) ?? new Map<string, ServiceInstance>();
      this.store.services.set(instance.name, byId);
      byId.set(
        instance.id,
        Object.freeze({ ...instance, tags: [...instance.tags], metadata: { ...instance.metadata } }),
      );
      this.store.notify(instance.name);
    });
  }

  deregister(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      if (this.store.services.get(instance.name)?.delete(instance.id)) this.store.notify(instance.name);
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

  /** Ends this handle's watches; the instances stay for the other handles. */
  close(): void {
    this.watches.close();
  }
}
