import type { ServiceInstance } from '@nestmesh/discovery';

import { targetOf } from '../discovery-backend.js';
import type { Cell } from './table.js';

/** Tags as `a,b`; metadata as `key=value` pairs, sorted, space-separated. */
export function tagsText(tags: readonly string[]): string {
  return tags.join(',');
}

export function metadataText(metadata: Readonly<Record<string, string>>): string {
  return Object.entries(metadata)
    .sort(([left], [right]) => left.localeCompare(right))
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}

/** An instance as machine output shows it: every field, the address as `host:port` too. */
export function instanceJson(instance: ServiceInstance): Record<string, unknown> {
  const { id, name, address, port, tags, metadata } = instance;
  return { id, name, address, port, target: targetOf(instance), tags, metadata };
}

export const INSTANCE_HEADERS = ['id', 'address', 'tags', 'metadata'] as const;

export function instanceCells(instance: ServiceInstance): Cell[] {
  return [instance.id, targetOf(instance), tagsText(instance.tags), metadataText(instance.metadata)];
}
