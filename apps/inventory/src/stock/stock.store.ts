import type { Reservation, StockLevel } from '@nestmesh/contracts/inventory/v1';

export interface ReserveInput {
  orderId: string;
  sku: string;
  quantity: bigint;
}

export type ReleaseTarget = { reservationId: string } | { orderId: string };

/**
 * Where stock lives. Every method is atomic per SKU: a reservation either takes all its
 * units or none, and concurrent reservations never oversell.
 */
export interface StockStore {
  /** The level of `sku`, or undefined when the SKU is unknown. */
  level(sku: string): Promise<StockLevel | undefined>;
  /** Takes `quantity` units. Throws UnknownSkuError, InsufficientStockError. */
  reserve(input: ReserveInput, servedBy: string): Promise<{ reservation: Reservation; stock: StockLevel }>;
  /** Returns the units of still-reserved reservations; already released ones are skipped. */
  release(target: ReleaseTarget): Promise<Reservation[]>;
  /** The levels of `skus` (all SKUs when empty) after each change, until the signal aborts. */
  changes(skus: readonly string[], options: { signal: AbortSignal }): AsyncIterable<StockLevel>;
  /** Every SKU the store knows, for snapshots. */
  skus(): Promise<string[]>;
  /**
   * Reconciles `sku`: when fewer than `policy.below` units are available, sets available to
   * `policy.to`; resolves to the new level, or undefined when nothing needed doing. `epoch` is
   * the writer's leadership epoch: a restock with an epoch older than one already accepted
   * throws StaleEpochError, so a replaced leader cannot write (even a no-op check records
   * the epoch).
   */
  restock(sku: string, policy: RestockPolicy, epoch: bigint): Promise<StockLevel | undefined>;
}

/** When and how far the leader's restock job tops a SKU up. */
export interface RestockPolicy {
  /** Restock when fewer than this many units are available. */
  below: bigint;
  /** Top available up to this many units. */
  to: bigint;
}

/** Injection token for the {@link StockStore}. */
export const StockStore = Symbol.for('nestmesh.inventory.StockStore');

/** Stock the demo starts with (SKU → units). */
export const DEMO_SEED: Readonly<Record<string, bigint>> = {
  'A-1': 1_000n,
  'B-2': 50n,
  'C-3': 5n,
};
