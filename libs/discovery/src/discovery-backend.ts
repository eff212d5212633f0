import { MemoryRegistry } from './adapters/memory/memory.registry.js';
import { DEFAULT_DISCOVERY_URL, DISCOVERY_URL_ENV } from './discovery.constants.js';
import { InvalidDiscoveryOptionsError } from './discovery.errors.js';
import type { Discovery } from './discovery.js';
import type { DiscoveryModuleOptions } from './discovery.module-definition.js';
import type { Registrar } from './registrar.js';

export type DiscoveryBackend = Registrar & Discovery;

/** Picks the backend the options (or DISCOVERY_URL) name; an unusable URL fails here, naming it. */
export function createDiscoveryBackend(options: DiscoveryModuleOptions): DiscoveryBackend {
  if (options.backend) return options.backend;
  const url = options.url ?? process.env[DISCOVERY_URL_ENV] ?? DEFAULT_DISCOVERY_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidDiscoveryOptionsError(`"${url}" is not a URL (expected e.g. memory://)`);
  }
  switch (parsed.protocol) {
    case 'memory:':
      return MemoryRegistry.named(parsed.host + parsed.pathname.replace(/^\/$/, ''));
    default:
      throw new InvalidDiscoveryOptionsError(
        `"${url}" has the unknown scheme "${parsed.protocol}"; supported: memory://`,
      );
  }
}
