// How the Redis stock store keeps its levels (a hash of decimal strings per SKU) and tells every
// instance of a change: one pub/sub channel, `<sku>\n<fields as JSON>` per message.
import type { StockLevel } from '@nestmesh/contracts/inventory/v1';
import type { RedisClient } from '@nestmesh/coordination/redis';

import type { ChangeFeedOptions } from './stock.store.js';

export const PREFIX = 'nestmesh:inventory:';
const CHANGES = `${PREFIX}changes`;

/** A SKU's hash: available, reserved, version, updatedAt (ms), all decimal strings. */
export type Fields = Record<string, string>;

export function toLevel(sku: string, fields: Fields): StockLevel {
  return {
    sku,
    available: BigInt(fields.available ?? '0'),
    reserved: BigInt(fields.reserved ?? '0'),
    version: BigInt(fields.version ?? '0'),
    updatedAt: new Date(Number(fields.updatedAt ?? 0)),
  };
}

export function toFields(level: StockLevel): Fields {
  return {
    available: level.available.toString(),
    reserved: level.reserved.toString(),
    version: level.version.toString(),
    updatedAt: String(level.updatedAt!.getTime()),
  };
}

/**
 * Tells the watchers of `sku` its new fields. Best effort: the write has happened, and a
 * watcher that misses a message gets the next one (each carries the whole level).
 */
export async function publishChange(redis: RedisClient, sku: string, fields: Fields): Promise<void> {
  await redis.publish(CHANGES, `${sku}\n${JSON.stringify(fields)}`).catch(() => undefined);
}

/**
 * The changes of `skus` (every SKU when empty) on a subscriber connection of its own, until
 * `signal` aborts; `onReady` once the subscription is live. A slow reader gets each SKU's latest
 * level, not a backlog.
 */
export async function* stockChanges(
  redis: RedisClient,
  skus: readonly string[],
  { signal, onReady }: ChangeFeedOptions,
): AsyncIterable<StockLevel> {
  const subscriber = redis.duplicate();
  const pending = new Map<string, StockLevel>();
  let wake = () => {};
  subscriber.on('message', (_channel: string, message: string) => {
    const [sku, ...rest] = message.split('\n');
    if (skus.length > 0 && !skus.includes(sku)) return;
    pending.set(sku, toLevel(sku, JSON.parse(rest.join('\n')) as Fields));
    wake();
  });
  const onAbort = () => wake();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await subscriber.subscribe(CHANGES);
    onReady?.();
    while (!signal.aborted) {
      if (pending.size === 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const levels = [...pending.values()];
      pending.clear();
      yield* levels;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    subscriber.disconnect();
  }
}
