import { promiseTry } from '@nestmesh/common';
import { declareFencedStore, recordFencingRejection } from '@nestmesh/coordination';
import { ReservationStatus, type Reservation, type StockLevel } from '@nestmesh/contracts/inventory/v1';

import { StaleEpochError, UnknownReservationError, UnknownSkuError } from '../inventory.errors.js';
import {
  isExpired,
  isHeld,
  repeatedReservation,
  reserveAgainst,
  validateAddition,
  validateReserveInput,
} from './reservation.js';
import { STOCK_STORE } from './stock.telemetry.js';
import type {
  ChangeFeedOptions,
  LeaderRead,
  ReleaseTarget,
  ReservationPolicy,
  ReserveInput,
  RestockPolicy,
  StockStore,
} from './stock.store.js';
import { DEFAULT_RESERVATION_POLICY } from './stock.store.js';

const namedStores = new Map<string, MemoryStockStore>();

/** One key per (order, SKU) pair; JSON keeps an order id with a separator in it unambiguous. */
function pairKey(orderId: string, sku: string): string {
  return JSON.stringify([orderId, sku]);
}

/**
 * The embedded stock store. Instances in one process that use the same name share it, as
 * separate processes would share a database; operations are synchronous, hence atomic, and
 * answer with a promise that rejects with what they throw (promiseTry).
 */
export class MemoryStockStore implements StockStore {
  private readonly levels = new Map<string, StockLevel>();
  private readonly reservations = new Map<string, Reservation>();
  /** The reservation id of each (order, SKU) pair (pairKey), for idempotent ReserveStock. */
  private readonly reservationOfPair = new Map<string, string>();
  /** The highest leadership epoch a restock or a leader's read has carried. */
  private restockEpoch = 0n;
  /** Each watcher keeps the latest level per SKU it has not read yet: bounded, never stale. */
  private readonly watchers = new Set<{
    skus: ReadonlySet<string>;
    pending: Map<string, StockLevel>;
    wake: () => void;
  }>();

  constructor(
    seed: Readonly<Record<string, bigint>> = {},
    private readonly policy: ReservationPolicy = DEFAULT_RESERVATION_POLICY,
  ) {
    declareFencedStore(STOCK_STORE, ['epoch']); // the restock job's leadership epochs
    for (const [sku, available] of Object.entries(seed)) {
      this.levels.set(sku, { sku, available, reserved: 0n, version: 1n, updatedAt: new Date() });
    }
  }

  /** The process-wide store called `name`, seeded (and given its policy) on first use. */
  static named(
    name: string,
    seed: Readonly<Record<string, bigint>>,
    policy: ReservationPolicy = DEFAULT_RESERVATION_POLICY,
  ): MemoryStockStore {
    let store = namedStores.get(name);
    if (!store) namedStores.set(name, (store = new MemoryStockStore(seed, policy)));
    return store;
  }

  level(sku: string, read?: LeaderRead): Promise<StockLevel | undefined> {
    return promiseTry(() => {
      const level = this.levels.get(sku);
      if (read && level) this.admitEpoch(sku, read.epoch, 'read');
      return level;
    });
  }

  skus(): Promise<string[]> {
    return promiseTry(() => [...this.levels.keys()]);
  }

  reserve(input: ReserveInput, servedBy: string): Promise<{ reservation: Reservation; stock: StockLevel }> {
    return promiseTry(() => {
      validateReserveInput(input);
      const pair = pairKey(input.orderId, input.sku);
      const existingId = this.reservationOfPair.get(pair);
      if (existingId !== undefined) {
        const reservation = repeatedReservation(input, this.reservations.get(existingId)!);
        return { reservation, stock: this.levels.get(input.sku)! };
      }
      const reservation = reserveAgainst(input, this.levels.get(input.sku), servedBy, this.policy);
      const stock = this.update(input.sku, -input.quantity);
      this.reservations.set(reservation.reservationId, reservation);
      this.reservationOfPair.set(pair, reservation.reservationId);
      return { reservation, stock };
    });
  }

  release(target: ReleaseTarget): Promise<Reservation[]> {
    return promiseTry(() =>
      this.selected(target)
        .filter(isHeld)
        .map((reservation) => this.returnUnits(reservation)),
    );
  }

  confirm(orderId: string): Promise<Reservation[]> {
    return promiseTry(() => {
      const confirmed: Reservation[] = [];
      for (const reservation of this.selected({ orderId })) {
        if (reservation.status === ReservationStatus.RESERVATION_STATUS_RELEASED) continue;
        const done = {
          ...reservation,
          status: ReservationStatus.RESERVATION_STATUS_CONFIRMED,
          expiresAt: undefined,
        };
        this.reservations.set(done.reservationId, done);
        confirmed.push(done);
      }
      return confirmed;
    });
  }

  releaseExpired(now: number, epoch: bigint): Promise<Reservation[]> {
    return promiseTry(() => {
      const expired = [...this.reservations.values()].filter((reservation) => isExpired(reservation, now));
      for (const reservation of expired) this.admitEpoch(reservation.sku, epoch, 'reconcile');
      return expired.map((reservation) => this.returnUnits(reservation));
    });
  }

  /** Returns a held reservation's units to stock and marks it RELEASED. */
  private returnUnits(reservation: Reservation): Reservation {
    this.update(reservation.sku, reservation.quantity);
    const done = { ...reservation, status: ReservationStatus.RESERVATION_STATUS_RELEASED };
    this.reservations.set(done.reservationId, done);
    return done;
  }

  /** How many change feeds are open: each stream that watches or follows holds one until it ends. */
  get openFeeds(): number {
    return this.watchers.size;
  }

  async *changes(skus: readonly string[], { signal, onReady }: ChangeFeedOptions): AsyncIterable<StockLevel> {
    let wake = () => {};
    const watcher = { skus: new Set(skus), pending: new Map<string, StockLevel>(), wake: () => wake() };
    this.watchers.add(watcher);
    onReady?.();
    const onAbort = () => wake();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      while (!signal.aborted) {
        if (watcher.pending.size === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        const levels = [...watcher.pending.values()];
        watcher.pending.clear();
        yield* levels;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.watchers.delete(watcher);
    }
  }

  restock(sku: string, { below, to }: RestockPolicy, epoch: bigint): Promise<StockLevel | undefined> {
    return promiseTry(() => {
      const current = this.levels.get(sku);
      if (!current) throw new UnknownSkuError(sku);
      this.admitEpoch(sku, epoch, 'restock');
      if (current.available >= below || to <= current.available) return undefined;
      return this.update(sku, to - current.available, { restock: true });
    });
  }

  add(sku: string, quantity: bigint): Promise<StockLevel> {
    return promiseTry(() => {
      validateAddition(sku, quantity);
      if (!this.levels.has(sku)) {
        this.levels.set(sku, { sku, available: 0n, reserved: 0n, version: 0n, updatedAt: new Date() });
      }
      return this.update(sku, quantity, { restock: true });
    });
  }

  /** The reservations `target` names; throws UnknownReservationError for an unknown id. */
  private selected(target: ReleaseTarget): Reservation[] {
    if (!('reservationId' in target))
      return [...this.reservations.values()].filter((r) => r.orderId === target.orderId);
    const reservation = this.reservations.get(target.reservationId);
    if (!reservation) throw new UnknownReservationError(target.reservationId);
    return [reservation];
  }

  /** Refuses an epoch older than the newest seen; records a newer one (reads included). */
  private admitEpoch(sku: string, epoch: bigint, operation: 'read' | 'restock' | 'reconcile'): void {
    if (epoch < this.restockEpoch) {
      recordFencingRejection({
        store: STOCK_STORE,
        kind: 'epoch',
        operation: operation === 'read' ? 'read' : 'write',
        key: `sku:${sku}`,
        value: epoch,
      });
      throw new StaleEpochError(sku, epoch, operation);
    }
    this.restockEpoch = epoch;
  }

  /** Applies `delta` to available (and its opposite to reserved) and tells watchers. */
  private update(sku: string, delta: bigint, { restock = false } = {}): StockLevel {
    const current = this.levels.get(sku)!;
    const next: StockLevel = {
      sku,
      available: current.available + delta,
      // A restock adds units; a reservation moves them between available and reserved.
      reserved: restock ? current.reserved : current.reserved - delta,
      version: current.version + 1n,
      updatedAt: new Date(),
    };
    this.levels.set(sku, next);
    for (const watcher of this.watchers) {
      if (watcher.skus.size > 0 && !watcher.skus.has(sku)) continue;
      watcher.pending.set(sku, next);
      watcher.wake();
    }
    return next;
  }
}
