// How the Redis stock store keeps reservations: one JSON string per reservation, a set of ids
// per order, the id of each (order, SKU) pair (what makes ReserveStock idempotent), and one
// sorted set of the RESERVED ones by expiry (ms), which the reconcile job reads.
import { ReservationStatus, type Reservation } from '@nestmesh/contracts/inventory/v1';

import { PREFIX } from './redis-stock.changes.js';

/** The names of the stock store's keys, under one prefix. */
export class StockKeys {
  constructor(readonly prefix: string) {}

  /** A SKU's hash (its `{sku}` only decides its slot where the prefix has no hash tag). */
  sku(sku: string): string {
    return `${this.prefix}sku:{${sku}}`;
  }

  /** The set of known SKUs. */
  get skus(): string {
    return `${this.prefix}skus`;
  }

  /** The reconcile and restock jobs' last leadership epoch, one for all SKUs. */
  get restockEpoch(): string {
    return `${this.prefix}restock:epoch`;
  }

  /** The RESERVED reservations by expiry, one index for all SKUs. */
  get expiring(): string {
    return `${this.prefix}reservations:expiring`;
  }

  reservation(reservationId: string): string {
    return `${this.prefix}reservation:${reservationId}`;
  }

  /** An order's reservation ids, across SKUs. */
  order(orderId: string): string {
    return `${this.prefix}order:${orderId}`;
  }

  /** JSON keeps an order id or SKU with a separator in it unambiguous. */
  pair(orderId: string, sku: string): string {
    return `${this.prefix}pair:${JSON.stringify([orderId, sku])}`;
  }
}

/** One Redis: the names as they have always been. */
export const STOCK_KEYS = new StockKeys(PREFIX);

/**
 * A Redis Cluster: every key under the hash tag `{inventory}`, so all of them share one slot.
 * The fenced write touches a SKU's hash, its reservation, the order's set (reservations of
 * several SKUs), the expiry index and the restock epoch (all SKUs) in one script, which a
 * cluster runs only on keys of one slot. The cost: the whole stock lives on one primary (and
 * its replica); the cluster still spreads the locks, and fails the stock over with its node.
 */
export const CLUSTER_STOCK_KEYS = new StockKeys('nestmesh:{inventory}:');

/** The expiry index's score of `reservation`: its expiry in ms, or '' (not indexed) once confirmed or released. */
export function expiryScore(reservation: Reservation): string {
  return reservation.status === ReservationStatus.RESERVATION_STATUS_RESERVED && reservation.expiresAt
    ? String(reservation.expiresAt.getTime())
    : '';
}

export function serializeReservation(reservation: Reservation): string {
  return JSON.stringify({ ...reservation, quantity: reservation.quantity.toString() });
}

export function parseReservation(raw: string): Reservation {
  const parsed = JSON.parse(raw) as Omit<Reservation, 'quantity' | 'reservedAt' | 'expiresAt'> & {
    quantity: string;
    reservedAt: string;
    expiresAt?: string;
  };
  return {
    ...parsed,
    quantity: BigInt(parsed.quantity),
    reservedAt: new Date(parsed.reservedAt),
    expiresAt: parsed.expiresAt === undefined ? undefined : new Date(parsed.expiresAt),
  };
}
