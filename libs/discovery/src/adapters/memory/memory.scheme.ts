import type { DiscoveryBackends } from '../../discovery-backend.js';

/** `memory://[name]`: the process-wide in-process registry called `name` (`memory://` is ''). */
export function registerMemoryScheme(backends: DiscoveryBackends): void {
  backends.register('memory', {
    create: async ([url]) => {
      const { MemoryRegistry } = await import('./memory.registry.js');
      return MemoryRegistry.named(url.hosts.join(',') + url.path.replace(/^\/$/, ''));
    },
  });
}
