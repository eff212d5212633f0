import type { Discovery } from '../../discovery.js';
import { LatestValueChannel } from '../../latest-value.channel.js';
import type { Registrar } from '../../registrar.js';
import type { ServiceInstance } from '../../service-instance.js';
import { validateInstance } from '../../validate-instance.js';

const namedRegistries = new Map<string, MemoryRegistry>();

/**
 * The embedded registry: instances live in this process's memory, so every app in the
 * process that uses the same registry name sees the others. Changes reach watchers on the
 * next microtask. Tests pass a fresh name (`memory://<test>`) to stay isolated.
 */
export class MemoryRegistry implements Registrar, Discovery {
  private readonly services = new Map<string, Map<string, ServiceInstance>>();
  private readonly watchers = new Map<string, Set<LatestValueChannel<ServiceInstance[]>>>();

  /** The process-wide registry called `name` (`''` is the default, `memory://`). */
  static named(name = ''): MemoryRegistry {
    let registry = namedRegistries.get(name);
    if (!registry) {
      registry = new MemoryRegistry();
      namedRegistries.set(name, registry);
    }
    return registry;
  }

  async register(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    signal?.throwIfAborted();
    validateInstance(instance);
    const byId = this.services.get(instance.name) ?? new Map<string, ServiceInstance>();
    this.services.set(instance.name, byId);
    byId.set(
      instance.id,
      Object.freeze({ ...instance, tags: [...instance.tags], metadata: { ...instance.metadata } }),
    );
    this.notify(instance.name);
  }

  async deregister(instance: ServiceInstance, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    signal?.throwIfAborted();
    if (this.services.get(instance.name)?.delete(instance.id)) this.notify(instance.name);
  }

  async instances(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<ServiceInstance[]> {
    signal?.throwIfAborted();
    return this.snapshot(name);
  }

  async *watch(name: string, { signal }: { signal?: AbortSignal } = {}): AsyncIterable<ServiceInstance[]> {
    signal?.throwIfAborted();
    const channel = new LatestValueChannel<ServiceInstance[]>();
    const subscribers = this.watchers.get(name) ?? new Set();
    this.watchers.set(name, subscribers);
    subscribers.add(channel);
    const onAbort = () => channel.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    channel.publish(this.snapshot(name));
    try {
      for (let next = await channel.next(); !next.done; next = await channel.next()) yield next.value;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      subscribers.delete(channel);
    }
  }

  private snapshot(name: string): ServiceInstance[] {
    return [...(this.services.get(name)?.values() ?? [])];
  }

  private notify(name: string): void {
    const subscribers = this.watchers.get(name);
    if (!subscribers?.size) return;
    const list = this.snapshot(name);
    for (const channel of subscribers) channel.publish(list);
  }
}
