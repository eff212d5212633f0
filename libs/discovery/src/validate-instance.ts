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
}
