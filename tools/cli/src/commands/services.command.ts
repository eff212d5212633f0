import type { CatalogInstance } from '@nestmesh/discovery';

import { withDiscovery } from '../discovery-backend.js';
import type { GlobalOptions } from '../global-options.js';
import { instanceJson, metadataText, tagsText } from '../output/instances.js';
import { jsonLine } from '../output/json.js';
import { formatTable } from '../output/table.js';
import { formatAge, formatTime } from '../output/time.js';
import { targetOf } from '../discovery-backend.js';

/** One service of the registry and every instance it lists, healthy or not. */
export interface ServiceEntry {
  readonly name: string;
  readonly instances: readonly CatalogInstance[];
}

/** `passing`, or the health with the registry's reason: `critical (TCP connect refused)`. */
function healthText({ health, healthDetail }: CatalogInstance): string {
  return healthDetail && health !== 'passing' ? `${health} (${healthDetail})` : health;
}

/** One row per instance, its service named on each so that `grep` keeps the context. */
export function servicesTable(services: readonly ServiceEntry[], now: Date): string {
  return formatTable(
    ['service', 'instance', 'address', 'health', 'since', 'up', 'tags', 'metadata'],
    services.flatMap(({ name, instances }) =>
      instances.length === 0
        ? [[name]]
        : instances.map((instance) => [
            name,
            instance.id,
            targetOf(instance),
            healthText(instance),
            formatTime(instance.registeredAt),
            formatAge(instance.registeredAt, now),
            tagsText(instance.tags),
            metadataText(instance.metadata),
          ]),
    ),
  );
}

/** The machine shape: every field, `registeredAt` as ISO 8601 (left out when unknown). */
export function servicesJson(services: readonly ServiceEntry[]): unknown {
  return {
    services: services.map(({ name, instances }) => ({
      name,
      instances: instances.map((instance) => ({
        ...instanceJson(instance),
        health: instance.health,
        healthDetail: instance.healthDetail,
        registeredAt: instance.registeredAt?.toISOString(),
      })),
    })),
  };
}

/**
 * `nestmesh services`: every service in the registry with each instance it lists, unhealthy
 * ones included, from the backend's Catalog (a backend that cannot list its registry is
 * refused by `catalogOf`, naming its scheme).
 */
export async function servicesCommand(global: GlobalOptions): Promise<void> {
  const { catalogOf } = await import('@nestmesh/discovery');
  const services = await withDiscovery(global, async (backend) => {
    const catalog = catalogOf(backend);
    const names = await catalog.services();
    return Promise.all(names.map(async (name) => ({ name, instances: await catalog.catalog(name) })));
  });
  process.stdout.write(global.json ? jsonLine(servicesJson(services)) : servicesTable(services, new Date()));
}
