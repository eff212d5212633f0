import { Inject, Injectable } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { currentLeadership, LeaderOnly } from '@nestmesh/coordination';
import type { Reservation } from '@nestmesh/contracts/inventory/v1';

import { StaleEpochError } from './inventory.errors.js';
import { IntervalJob } from './interval-job.js';
import { StockStore, type ReservationPolicy } from './stock/stock.store.js';

export interface ReconcileOptions {
  /** How often the leader releases expired reservations, in ms. Default 10 000. */
  everyMs?: number;
}

export const RECONCILE_OPTIONS = Symbol.for('nestmesh.inventory.ReconcileOptions');
/** The reservation policy the stores were built with: its clock says what "expired" means. */
export const RESERVATION_POLICY = Symbol.for('nestmesh.inventory.ReservationPolicy');

export const DEFAULT_RECONCILE = { everyMs: 10_000 } as const;

/**
 * The inventory's second leader-only job: every `everyMs` the leader of the `inventory`
 * election group releases the reservations that were never confirmed and whose expiry has
 * passed — those of an order whose placement timed out, crashed, or failed to release them —
 * returning their units to stock. Followers skip (`@LeaderOnly`); each release carries the
 * leadership epoch, so a replaced leader cannot release after its successor has written
 * (StaleEpochError ends its run). Time comes from the reservation policy's clock, so a test
 * moves it instead of sleeping.
 */
@Injectable()
export class ReconcileJob extends IntervalJob {
  constructor(
    @Inject(StockStore) private readonly store: StockStore,
    @Inject(RECONCILE_OPTIONS) private readonly options: Required<ReconcileOptions>,
    @Inject(RESERVATION_POLICY) private readonly policy: ReservationPolicy,
    scheduler: SchedulerRegistry,
  ) {
    super('inventory-reconcile', options.everyMs, scheduler);
  }

  @LeaderOnly()
  async run(): Promise<Reservation[]> {
    const { epoch } = currentLeadership()!;
    try {
      const released = await this.store.releaseExpired(this.policy.clock.now(), epoch);
      for (const { reservationId, orderId, sku, quantity } of released)
        this.logger.log(
          `released expired reservation ${reservationId} (order ${orderId}, ${quantity} × ${sku})`,
        );
      return released;
    } catch (error) {
      if (!(error instanceof StaleEpochError)) throw error;
      this.logger.warn(`${error.message}; stopping this run`);
      return [];
    }
  }
}
