// How the Redis stock store keeps reservations: one JSON string per reservation, a set of ids
// per order, the id of each (order, SKU) pair (what makes ReserveStock idempotent), and one
// sorted set of the RESERVED ones by expiry (ms), which the reconcile job reads.
import { ReservationStatus, type Reservation } from '@nestmesh/contracts/inventory/v1';

import { PREFIX } from './redis-stock.changes.js';

export const EXPIRING_KEY = `${PREFIX}reservations:expiring`;

export function reservationKey(reservationId: string): string {
  return `${PREFIX}reservation:${reservationId}`;
}

export function orderKey(orderId: string): string {
  return `${PREFIX}order:${orderId}`;
}

/** JSON keeps an order id or SKU with a separator in it unambiguous. */
export function pairKey(orderId: string, sku: string): string {
  return `${PREFIX}pair:${JSON.stringify([orderId, sku])}`;
}

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
