import type { ServiceInstance } from './service-instance.js';

export interface RegisterOptions {
  /** Aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * The instance's own view of its health, for registries that are told rather than asking
   * (a Consul TTL check). Registries that probe the instance, or hold a lease, ignore it.
   */
  healthy?: () => boolean;
}

/** Puts instances into the registry and takes them out. */
export interface Registrar {
  /**
   * Adds the instance (or replaces the one with the same id). Resolves once the registry
   * has accepted it. Aborting the signal rejects with its reason; the registration may
   * or may not have happened, and a later `deregister` cleans up either way.
   */
  register(instance: ServiceInstance, options?: RegisterOptions): Promise<void>;
  /** Removes the instance; removing an unknown id succeeds. Aborting rejects with the reason. */
  deregister(instance: ServiceInstance, options?: RegisterOptions): Promise<void>;
}

/** Injection token for the configured {@link Registrar}. */
export const Registrar = Symbol.for('nestmesh.discovery.Registrar');
