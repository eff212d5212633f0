import type { Reservation, StockLevel } from '@nestmesh/contracts/inventory/v1';

export interface ReserveInput {
  orderId: string;
  sku: string;
  quantity: bigint;
}

export type ReleaseTarget = { reservationId: string } | { orderId: string };

/** A leader's read: the epoch of the leadership it reads under (see StockStore.level). */
export interface LeaderRead {
  epoch: bigint;
}

/**
 * Where stock lives. Every method is atomic per SKU: a reservation either takes all its
 * units or none, and concurrent reservations never oversell.
 */
export interface StockStore {
  /**
   * The level of `sku`, or undefined when the SKU is unknown. With `{ epoch }` it is a
   * leader's read, fenced like its writes: refused with StaleEpochError when a newer epoch
   * has already read or restocked, and otherwise recorded, so that no older epoch can restock
   * after it. A leader that reads to decide what to write reads this way; a store that
   * fenced only the write would still lose an update (docs/coordination.md, "Fence reads too").
   */
  level(sku: string, read?: LeaderRead): Promise<StockLevel | undefined>;
  /**
   * Takes `quantity` units for `(orderId, sku)`, RESERVED until now + the store's
   * `reservationTtlMs`. Idempotent per `(orderId, sku)`: a repeated call (a retry after a
   * timeout, or two at once) answers the existing reservation and moves no stock; with another
   * quantity it throws ReservationConflictError, and for a released one ReservationReleasedError.
   * Throws UnknownSkuError, InsufficientStockError.
   */
  reserve(input: ReserveInput, servedBy: string): Promise<{ reservation: Reservation; stock: StockLevel }>;
  /**
   * Returns the units of still-held reservations (RESERVED or CONFIRMED); already released
   * ones are skipped.
   */
  release(target: ReleaseTarget): Promise<Reservation[]>;
  /** Confirms the RESERVED reservations of `orderId`: they no longer expire. Resolves to the order's confirmed ones. */
  confirm(orderId: string): Promise<Reservation[]>;
  /**
   * Releases every RESERVED reservation whose expiry is at or before `now` (ms since the
   * epoch): the leader's reconcile job. Fenced by the leadership `epoch` like restock: an
   * epoch older than one already seen throws StaleEpochError.
   */
  releaseExpired(now: number, epoch: bigint): Promise<Reservation[]>;
  /**
   * The levels of `skus` (all SKUs when empty) after each change, until the signal aborts
   * (the loop then ends and the feed's subscription is released). A reader that falls behind
   * gets the latest level of each SKU, not every step. `onReady` is called once the feed is
   * live (from the first `next()`): every change after that is delivered, so a snapshot read
   * after it misses nothing.
   */
  changes(skus: readonly string[], options: ChangeFeedOptions): AsyncIterable<StockLevel>;
  /** Every SKU the store knows, for snapshots. */
  skus(): Promise<string[]>;
  /**
   * Reconciles `sku`: when fewer than `policy.below` units are available, sets available to
   * `policy.to`; resolves to the new level, or undefined when nothing needed doing. `epoch` is
   * the writer's leadership epoch: a restock with an epoch older than one already seen (by a
   * restock or a leader's read) throws StaleEpochError, so a replaced leader cannot write
   * (even a no-op check records the epoch).
   */
  restock(sku: string, policy: RestockPolicy, epoch: bigint): Promise<StockLevel | undefined>;
  /**
   * Adds `quantity` (at least 1) units to the available stock of `sku`, creating the SKU when
   * it is unknown; resolves to the new level. Throws InvalidStockError for an empty SKU or a
   * quantity below 1. Fenced like a reservation (the SKU lock's token), not by epoch: any
   * instance may take a delivery, only the restock job is the leader's.
   */
  add(sku: string, quantity: bigint): Promise<StockLevel>;
}

export interface ChangeFeedOptions {
  signal: AbortSignal;
  onReady?: () => void;
}

/** When and how far the leader's restock job tops a SKU up. */
export interface RestockPolicy {
  /** Restock when fewer than this many units are available. */
  below: bigint;
  /** Top available up to this many units. */
  to: bigint;
}

/** How long reservations are held unconfirmed, and the wall clock that dates them. */
export interface ReservationPolicy {
  /** How long a RESERVED reservation is held before the reconcile job may release it, in ms. */
  ttlMs: number;
  /** Wall-clock time in ms since the epoch (tests inject a manual clock). */
  clock: { now(): number };
}

/** Default: 2 minutes, far above any order placement (a few inventory deadlines). */
export const DEFAULT_RESERVATION_POLICY: ReservationPolicy = { ttlMs: 120_000, clock: Date };

/** Injection token for the {@link StockStore}. */
export const StockStore = Symbol.for('nestmesh.inventory.StockStore');

/** Stock the demo starts with (SKU → units). */
export const DEMO_SEED: Readonly<Record<string, bigint>> = {
  'A-1': 1_000n,
  'B-2': 50n,
  'C-3': 5n,
};
