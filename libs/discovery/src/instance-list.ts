import type { ServiceInstance } from './service-instance.js';

/** A stable text form of a list (order-independent), to tell a real change from a repeat. */
export function instanceListKey(instances: readonly ServiceInstance[]): string {
  return JSON.stringify(
    [...instances]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((i) => [i.id, i.address, i.port, [...i.tags].sort(), Object.entries(i.metadata).sort()]),
  );
}
