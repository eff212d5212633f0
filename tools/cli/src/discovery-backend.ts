import type { DiscoveryBackend, ServiceInstance } from '@nestmesh/discovery';

import { UnknownServiceError } from './cli.errors.js';
import { discoveryUrlOf, type GlobalOptions } from './global-options.js';

/**
 * Runs `use` with the registry the options name, closing the client afterwards (also when
 * `use` throws), so that the process ends without waiting for an idle connection.
 */
export async function withDiscovery<T>(
  options: GlobalOptions,
  use: (backend: DiscoveryBackend) => Promise<T>,
): Promise<T> {
  const url = discoveryUrlOf(options);
  // imported here so that `--help` and commands without a registry load no backend SDK
  const { discoveryBackends } = await import('@nestmesh/discovery');
  const backend = await discoveryBackends.create(url);
  try {
    return await use(backend);
  } finally {
    await backend.close?.();
  }
}

/** The live instances of `service`; UnknownServiceError when there are none. */
export async function liveInstances(backend: DiscoveryBackend, service: string): Promise<ServiceInstance[]> {
  const instances = await backend.instances(service);
  if (instances.length === 0)
    throw new UnknownServiceError(`no live instance of service "${service}" in the registry`);
  return [...instances].sort((left, right) => left.id.localeCompare(right.id));
}

/** The instance `id` names, or UnknownServiceError listing the ids there are. */
export function instanceById(instances: readonly ServiceInstance[], id: string): ServiceInstance {
  const instance = instances.find((candidate) => candidate.id === id);
  if (!instance)
    throw new UnknownServiceError(
      `no instance "${id}" of service "${instances[0]?.name}"; live: ${instances.map((each) => each.id).join(', ')}`,
    );
  return instance;
}

/** `host:port` to dial, with an IPv6 host in brackets. */
export function targetOf({ address, port }: ServiceInstance): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]:${port}` : `${address}:${port}`;
}
