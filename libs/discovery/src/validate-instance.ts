import { InvalidServiceInstanceError } from './discovery.errors.js';
import type { ServiceInstance } from './service-instance.js';

/**
 * Whether `name` can be a service name: letters, digits, `_`, `.`, `-`, starting with a letter
 * or digit. Such a name is a valid URI path segment (`mesh:///<name>`), Consul service name
 * and etcd key segment.
 */
export function isServiceName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name);
}

/**
 * Metadata every registry accepts: Consul's rules (the strictest of the built-in backends) —
 * keys of ASCII letters, digits, `_` and `-`, at most 128 characters, not starting with the
 * reserved `consul-`; values up to 512 characters; at most 64 pairs, of which the registry may
 * use one (Consul stores `nestmesh_registered_at`): keys starting `nestmesh_` are the
 * registries' own. Checked for every backend so that an app that runs on memory:// or etcd://
 * does not fail only once it meets Consul.
 */
const METADATA_KEY = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_METADATA_VALUE = 512;
const MAX_METADATA_PAIRS = 63;
const RESERVED_PREFIXES = ['consul-', 'nestmesh_'];

function validateMetadata(id: string, metadata: Readonly<Record<string, string>>): void {
  const entries = Object.entries(metadata);
  if (entries.length > MAX_METADATA_PAIRS) {
    throw new InvalidServiceInstanceError(
      `instance ${id}: ${entries.length} metadata entries, at most ${MAX_METADATA_PAIRS}`,
    );
  }
  for (const [key, value] of entries) {
    if (!METADATA_KEY.test(key)) {
      throw new InvalidServiceInstanceError(
        `instance ${id}: metadata key ${JSON.stringify(key.slice(0, 140))} is not portable: use ASCII letters, digits, ` +
          `"_" and "-" (at most 128), as Consul requires`,
      );
    }
    const reserved = RESERVED_PREFIXES.find((prefix) => key.toLowerCase().startsWith(prefix));
    if (reserved) {
      throw new InvalidServiceInstanceError(
        `instance ${id}: metadata key ${key} is reserved (keys starting "${reserved}" belong to the registry)`,
      );
    }
    if (typeof value !== 'string' || value.length > MAX_METADATA_VALUE) {
      throw new InvalidServiceInstanceError(
        `instance ${id}: metadata ${key} must be a string of at most ${MAX_METADATA_VALUE} characters`,
      );
    }
  }
}

/** Rejects an instance no registry could route to, with the field that is wrong. */
export function validateInstance(instance: ServiceInstance): void {
  if (!instance.id) throw new InvalidServiceInstanceError('instance.id is empty');
  if (!isServiceName(instance.name)) {
    // JSON: a JavaScript caller's name may not be a string at all.
    throw new InvalidServiceInstanceError(
      `instance.name ${JSON.stringify(instance.name)} is not a valid service name`,
    );
  }
  if (!instance.address) throw new InvalidServiceInstanceError(`instance ${instance.id}: address is empty`);
  if (!Number.isInteger(instance.port) || instance.port < 1 || instance.port > 65535) {
    throw new InvalidServiceInstanceError(
      `instance ${instance.id}: port ${instance.port} is not in 1..65535`,
    );
  }
  validateMetadata(instance.id, instance.metadata ?? {});
}
