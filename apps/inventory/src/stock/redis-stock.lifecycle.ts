// The reservation lifecycle of the Redis stock store: release (by id or order), confirm, and
// the reconcile job's release of expired ones. Each change happens under the reservation's SKU
// lock and re-reads the reservation there: a confirmation, an order's release and the reconcile
// job's release of the same reservation are serialised, so units return once. The fenced
// reads and writes themselves are the store's (FencedStock).
import { ReservationStatus, type Reservation, type StockLevel } from '@nestmesh/contracts/inventory/v1';
import type { LockHandle, LockService } from '@nestmesh/coordination';
import type { RedisClient } from '@nestmesh/coordination/redis';

import { UnknownReservationError } from '../inventory.errors.js';
import { parseReservation, type StockKeys } from './redis-stock.reservations.js';
import { isExpired, isHeld } from './reservation.js';
import type { ReleaseTarget } from './stock.store.js';

/** How long a stock change waits for its SKU's lock, and the lease it holds, in ms. */
export const LOCK_TIMING = { waitMs: 5_000, ttlMs: 5_000 };

/** What the lifecycle needs of the store: its connection, its locks and its fenced scripts. */
export interface FencedStock {
  readonly redis: RedisClient;
  readonly keys: StockKeys;
  readonly locks: LockService;
  readFenced(sku: string, token: bigint): Promise<StockLevel | undefined>;
  write(
    lock: Pick<LockHandle, 'token'>,
    level: StockLevel,
    delta: bigint,
    reservation: Reservation,
    epoch?: bigint,
  ): Promise<StockLevel>;
  writeConfirmation(lock: Pick<LockHandle, 'token'>, reservation: Reservation): Promise<void>;
  guard<T>(operation: string, run: () => Promise<T>): Promise<T>;
}

export class RedisReservations {
  constructor(private readonly stock: FencedStock) {}

  async release(target: ReleaseTarget): Promise<Reservation[]> {
    const ids =
      'reservationId' in target
        ? [target.reservationId]
        : await this.stock.guard('listing reservations', () =>
            this.stock.redis.smembers(this.stock.keys.order(target.orderId)),
          );
    const released: Reservation[] = [];
    for (const id of ids) {
      const reservation = await this.reservation(id);
      if (!reservation) {
        if ('reservationId' in target) throw new UnknownReservationError(id);
        continue;
      }
      const done = isHeld(reservation) && (await this.releaseIf(reservation, isHeld));
      if (done) released.push(done);
    }
    return released;
  }

  async confirm(orderId: string): Promise<Reservation[]> {
    const ids = await this.stock.guard('listing reservations', () =>
      this.stock.redis.smembers(this.stock.keys.order(orderId)),
    );
    const confirmed: Reservation[] = [];
    for (const id of ids) {
      const reservation = await this.reservation(id);
      if (!reservation || !isHeld(reservation)) continue;
      const done = await this.stock.locks.using(
        `sku:${reservation.sku}`,
        async (signal, lock) => {
          await this.stock.readFenced(reservation.sku, lock.token);
          const current = (await this.reservation(id))!; // a release may have landed meanwhile
          if (current.status !== ReservationStatus.RESERVATION_STATUS_RESERVED)
            return current.status === ReservationStatus.RESERVATION_STATUS_CONFIRMED ? current : undefined;
          signal.throwIfAborted();
          const next = {
            ...current,
            status: ReservationStatus.RESERVATION_STATUS_CONFIRMED,
            expiresAt: undefined,
          };
          await this.stock.writeConfirmation(lock, next);
          return next;
        },
        LOCK_TIMING,
      );
      if (done) confirmed.push(done);
    }
    return confirmed;
  }

  async releaseExpired(now: number, epoch: bigint): Promise<Reservation[]> {
    const ids = await this.stock.guard('listing expired reservations', () =>
      this.stock.redis.zrangebyscore(this.stock.keys.expiring, '-inf', now),
    );
    const released: Reservation[] = [];
    for (const id of ids) {
      const reservation = await this.reservation(id);
      if (!reservation) continue;
      const done = await this.releaseIf(reservation, (current) => isExpired(current, now), epoch);
      if (done) released.push(done);
    }
    return released;
  }

  /**
   * Releases `reservation` under its SKU's lock if, read again there, it still passes
   * `releasable` (a concurrent release or confirmation may have landed); `epoch` fences the
   * reconcile job's writes. Resolves to the released reservation, or undefined.
   */
  private async releaseIf(
    reservation: Reservation,
    releasable: (current: Reservation) => boolean,
    epoch?: bigint,
  ): Promise<Reservation | undefined> {
    return this.stock.locks.using(
      `sku:${reservation.sku}`,
      async (signal, lock) => {
        const level = (await this.stock.readFenced(reservation.sku, lock.token))!;
        const current = await this.reservation(reservation.reservationId);
        if (!current || !releasable(current)) return undefined;
        signal.throwIfAborted();
        const done = { ...current, status: ReservationStatus.RESERVATION_STATUS_RELEASED };
        await this.stock.write(lock, level, current.quantity, done, epoch);
        return done;
      },
      LOCK_TIMING,
    );
  }

  /** The reservation `id`, or undefined when there is none. */
  private async reservation(id: string): Promise<Reservation | undefined> {
    const raw = await this.stock.guard('reading a reservation', () =>
      this.stock.redis.get(this.stock.keys.reservation(id)),
    );
    return raw ? parseReservation(raw) : undefined;
  }

  /** The reservation of `(orderId, sku)`, or undefined when the pair has none. */
  async reservationOfPair(orderId: string, sku: string): Promise<Reservation | undefined> {
    const id = await this.stock.guard('reading a reservation', () =>
      this.stock.redis.get(this.stock.keys.pair(orderId, sku)),
    );
    return id ? this.reservation(id) : undefined;
  }
}
