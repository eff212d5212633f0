import { ReservationStatus, type Reservation, type StockLevel } from '@nestmesh/contracts/inventory/v1';
import { randomUUID } from 'node:crypto';

import {
  InsufficientStockError,
  InvalidReservationError,
  InvalidStockError,
  ReservationConflictError,
  ReservationReleasedError,
  UnknownSkuError,
} from '../inventory.errors.js';
import type { ReservationPolicy, ReserveInput } from './stock.store.js';

/** Rejects a request no store should try: a quantity below 1 or a missing order id. */
export function validateReserveInput({ orderId, quantity }: ReserveInput): void {
  if (quantity < 1n) throw new InvalidReservationError(`quantity must be at least 1, got ${quantity}`);
  if (!orderId) throw new InvalidReservationError('order_id is required');
}

/** Rejects an addition no store should make: an empty SKU or a quantity below 1. */
export function validateAddition(sku: string, quantity: bigint): void {
  if (!sku) throw new InvalidStockError('sku is required');
  if (quantity < 1n) throw new InvalidStockError(`quantity must be at least 1, got ${quantity}`);
}

/** The reservation `input` makes against `level` (undefined: unknown SKU), or the error why not. */
export function reserveAgainst(
  input: ReserveInput,
  level: StockLevel | undefined,
  servedBy: string,
  policy: ReservationPolicy,
): Reservation {
  if (!level) throw new UnknownSkuError(input.sku);
  if (level.available < input.quantity)
    throw new InsufficientStockError(input.sku, input.quantity, level.available);
  return {
    reservationId: randomUUID(),
    orderId: input.orderId,
    sku: input.sku,
    quantity: input.quantity,
    status: ReservationStatus.RESERVATION_STATUS_RESERVED,
    reservedAt: new Date(policy.clock.now()),
    servedBy,
    expiresAt: new Date(policy.clock.now() + policy.ttlMs),
  };
}

/**
 * The answer to a repeated ReserveStock for the pair `existing` holds: the reservation itself
 * when the quantity matches and it is still held; otherwise the error why not.
 */
export function repeatedReservation(input: ReserveInput, existing: Reservation): Reservation {
  if (existing.quantity !== input.quantity)
    throw new ReservationConflictError(input.orderId, input.sku, existing.quantity, input.quantity);
  if (existing.status === ReservationStatus.RESERVATION_STATUS_RELEASED)
    throw new ReservationReleasedError(input.orderId, input.sku);
  return existing;
}

/** Whether `reservation` is RESERVED and its expiry is at or before `now` (ms). */
export function isExpired(reservation: Reservation, now: number): boolean {
  return (
    reservation.status === ReservationStatus.RESERVATION_STATUS_RESERVED &&
    reservation.expiresAt !== undefined &&
    reservation.expiresAt.getTime() <= now
  );
}

/** Whether `reservation` still holds units (RESERVED or CONFIRMED). */
export function isHeld(reservation: Reservation): boolean {
  return (
    reservation.status === ReservationStatus.RESERVATION_STATUS_RESERVED ||
    reservation.status === ReservationStatus.RESERVATION_STATUS_CONFIRMED
  );
}
