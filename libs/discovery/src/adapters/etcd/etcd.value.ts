import type { ServiceInstance } from '../../service-instance.js';

/** What an instance key holds, decoded: the instance, and when it registered if the value says. */
export interface StoredInstance {
  readonly instance: ServiceInstance;
  readonly registeredAt?: Date;
}

/**
 * The value of an instance key: the instance as JSON, plus `registeredAt` (ISO 8601, wall
 * clock). Readers before the catalog parsed the whole object and ignore the extra field.
 */
export function encodeInstance(instance: ServiceInstance, registeredAt: Date): string {
  const { id, name, address, port, tags, metadata } = instance;
  return JSON.stringify({
    id,
    name,
    address,
    port,
    tags,
    metadata,
    registeredAt: registeredAt.toISOString(),
  });
}

/**
 * An instance key's value, or undefined when it is not one of ours or is corrupt (never route
 * to it). Values written before `registeredAt` existed decode without it.
 */
export function decodeInstance(value: string): StoredInstance | undefined {
  let stored: unknown;
  try {
    stored = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!isStored(stored)) return undefined;
  const { id, name, address, port, tags, metadata, registeredAt } = stored;
  const instance = { id, name, address, port, tags: tags ?? [], metadata: metadata ?? {} };
  const when = typeof registeredAt === 'string' ? new Date(registeredAt) : undefined;
  return when && !Number.isNaN(when.getTime()) ? { instance, registeredAt: when } : { instance };
}

interface Stored {
  id: string;
  name: string;
  address: string;
  port: number;
  tags?: string[];
  metadata?: Record<string, string>;
  registeredAt?: unknown;
}

function isStored(value: unknown): value is Stored {
  if (typeof value !== 'object' || value === null) return false;
  const { id, name, address, port } = value as Partial<Stored>;
  return (
    typeof id === 'string' &&
    typeof name === 'string' &&
    typeof address === 'string' &&
    typeof port === 'number'
  );
}
