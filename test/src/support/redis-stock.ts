import assert from 'node:assert/strict';
import type { RedisClient } from '@nestmesh/coordination/redis';
import type { Redis } from 'ioredis';

// Inventory's Redis layout (apps/inventory RedisStockStore), read directly: the ground truth
// the HTTP answers are checked against. On a Redis Cluster every key is under the hash tag
// `{inventory}` (CLUSTER_PREFIX), all on the primary of that slot: pass a client of that node.
const PREFIX = 'nestmesh:inventory:';
export const CLUSTER_PREFIX = 'nestmesh:{inventory}:';

export interface RedisReservation {
  reservationId: string;
  orderId: string;
  sku: string;
  quantity: bigint;
  servedBy: string;
  /** ReservationStatus: 1 RESERVED, 2 RELEASED, 3 CONFIRMED. */
  status: number;
}

const RELEASED = 2;

/** The SKU's stock hash: units available and reserved. */
export async function stockInRedis(
  redis: RedisClient,
  sku: string,
  prefix = PREFIX,
): Promise<{ available: bigint; reserved: bigint }> {
  const fields = await redis.hgetall(`${prefix}sku:{${sku}}`);
  return { available: BigInt(fields.available ?? '0'), reserved: BigInt(fields.reserved ?? '0') };
}

/**
 * Every reservation of `sku` that holds units (RESERVED or CONFIRMED), whether or not its order
 * was acknowledged; a failed order's released ones are left out.
 */
export async function reservationsInRedis(
  redis: Redis,
  sku: string,
  prefix = PREFIX,
): Promise<RedisReservation[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${prefix}reservation:*`, count: 1000 })) {
    keys.push(...(batch as string[]));
  }
  const values = keys.length > 0 ? await redis.mget(keys) : [];
  return values
    .map((raw) => JSON.parse(raw!) as Omit<RedisReservation, 'quantity'> & { quantity: string })
    .filter((reservation) => reservation.sku === sku && reservation.status !== RELEASED)
    .map((reservation) => ({ ...reservation, quantity: BigInt(reservation.quantity) }));
}

/** The order's reservations in Redis: exactly one per item, holding its units. */
export async function assertOrderHoldsItsReservation(
  redis: RedisClient,
  orderId: string,
  prefix = PREFIX,
): Promise<void> {
  const ids = await redis.smembers(`${prefix}order:${orderId}`);
  assert.equal(ids.length, 1, `order ${orderId} kept its reservation`);
}
