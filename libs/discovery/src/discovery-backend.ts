import { BackendRegistry } from '@nestmesh/common';

import { registerConsulScheme } from './adapters/consul/consul.scheme.js';
import { registerEtcdScheme } from './adapters/etcd/etcd.scheme.js';
import { registerMemoryScheme } from './adapters/memory/memory.scheme.js';
import { type Catalog, rememberScheme } from './catalog.js';
import { DEFAULT_DISCOVERY_URL, DISCOVERY_URL_ENV } from './discovery.constants.js';
import { InvalidDiscoveryOptionsError } from './discovery.errors.js';
import type { Discovery } from './discovery.js';
import type { DiscoveryModuleOptions } from './discovery.module-definition.js';
import type { Registrar } from './registrar.js';

/**
 * A registry client: a Registrar and a Discovery, and — for operator tools — a Catalog when
 * the backend can list its whole registry (the built-in ones can; read it through
 * `catalogOf`). `close()` (called by the DiscoveryModule on shutdown, after the app has
 * deregistered and drained) ends every open watch and releases the client, leaving no timer
 * behind.
 */
export type DiscoveryBackend = Registrar & Discovery & Partial<Catalog> & { close?(): void | Promise<void> };

/**
 * Discovery URL scheme → backend, as grpc-js registers resolvers. The built-in adapters
 * register `memory`, `etcd` and `consul`, each importing its SDK only when a URL names it;
 * a third party registers its own scheme the same way, before the module is built:
 *
 *   discoveryBackends.register('zk', { query: ['chroot'], create: async ([url]) => … });
 *
 * An unknown scheme or query option fails with `InvalidDiscoveryOptionsError`, which lists
 * the known schemes and never shows a password or a `token`.
 */
export const discoveryBackends = new BackendRegistry<void, DiscoveryBackend>(
  'discovery',
  (message) => new InvalidDiscoveryOptionsError(message),
);
registerMemoryScheme(discoveryBackends);
registerEtcdScheme(discoveryBackends);
registerConsulScheme(discoveryBackends);

/** The type of {@link discoveryBackends}, for a scheme's registration function. */
export type DiscoveryBackends = typeof discoveryBackends;

/**
 * The backend the options name: `backend` as given, else the URL of `url`, DISCOVERY_URL or
 * `memory://`, built by its scheme's factory. An unusable URL fails here, naming it.
 */
export async function createDiscoveryBackend(options: DiscoveryModuleOptions): Promise<DiscoveryBackend> {
  if (options.backend) return options.backend;
  const url = options.url ?? process.env[DISCOVERY_URL_ENV] ?? DEFAULT_DISCOVERY_URL;
  const { urls, factory } = discoveryBackends.resolve(url);
  const backend = await factory.create(urls);
  rememberScheme(backend, urls[0].scheme);
  return backend;
}
