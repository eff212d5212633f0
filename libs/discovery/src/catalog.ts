import type { DiscoveryBackend } from './discovery-backend.js';
import { InvalidDiscoveryOptionsError } from './discovery.errors.js';
import type { ServiceInstance } from './service-instance.js';

/** How the registry sees an instance's health. */
export type InstanceHealth = 'passing' | 'warning' | 'critical';

/** A registered instance as operator tools see it: healthy or not. */
export interface CatalogInstance extends ServiceInstance {
  readonly health: InstanceHealth;
  /** Why it is not passing (e.g. a Consul check's output), when the registry says. */
  readonly healthDetail?: string;
  /** When the instance registered (wall clock), when the registry knows. */
  readonly registeredAt?: Date;
}

/**
 * The whole registry, unhealthy instances included: what operator tools read. Both methods
 * read the registry once (no watch); an unreachable registry rejects with
 * RegistryUnavailableError, and aborting the signal rejects with its reason at once (a
 * request in flight is abandoned).
 */
export interface Catalog {
  /** Every service with at least one registered instance (healthy or not), sorted by name. */
  services(options?: { signal?: AbortSignal }): Promise<string[]>;
  /** Every registered instance of `name`, healthy or not, sorted by id; [] for an unknown name. */
  catalog(name: string, options?: { signal?: AbortSignal }): Promise<CatalogInstance[]>;
}

/** The scheme each backend built from a URL was built for, so that errors can name it. */
const schemes = new WeakMap<object, string>();

/** Records that `backend` was built for a `scheme://` URL (done by createDiscoveryBackend). */
export function rememberScheme(backend: DiscoveryBackend, scheme: string): void {
  schemes.set(backend, scheme);
}

/**
 * The backend's Catalog; throws InvalidDiscoveryOptionsError naming the scheme when the
 * backend cannot list its registry (a third-party backend without services()/catalog()).
 */
export function catalogOf(backend: DiscoveryBackend): Catalog {
  const { services, catalog } = backend;
  if (typeof services !== 'function' || typeof catalog !== 'function') {
    const scheme = schemes.get(backend);
    const kind = backend.constructor?.name || 'object';
    const which = scheme ? `the ${scheme}:// discovery backend (${kind})` : `the discovery backend ${kind}`;
    throw new InvalidDiscoveryOptionsError(
      `${which} cannot list its registry: it implements no ${typeof services === 'function' ? 'catalog()' : 'services()'} (the Catalog interface)`,
    );
  }
  return {
    services: (options) => services.call(backend, options),
    catalog: (name, options) => catalog.call(backend, name, options),
  };
}

/** `instances` sorted by id, as Catalog.catalog returns them. */
export function byId<T extends ServiceInstance>(instances: T[]): T[] {
  return instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Distinct `names`, sorted, as Catalog.services returns them. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}
