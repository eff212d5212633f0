import type { ServiceInstance } from './service-instance.js';

/** Finds the live instances of a service. */
export interface Discovery {
  /** The healthy instances of `name` now (possibly none). Aborting rejects with the reason. */
  instances(name: string, options?: { signal?: AbortSignal }): Promise<ServiceInstance[]>;
  /**
   * The healthy instances of `name`: the current list first, then the whole list again
   * after every change. A slow consumer sees the latest list, never a backlog. Ends when
   * the signal aborts or the consumer breaks out of the loop; a registry error ends it by
   * throwing, and the caller decides whether to watch again.
   */
  watch(name: string, options?: { signal?: AbortSignal }): AsyncIterable<ServiceInstance[]>;
}

/** Injection token for the configured {@link Discovery}. */
export const Discovery = Symbol.for('nestmesh.discovery.Discovery');
