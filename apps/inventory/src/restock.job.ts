import { Inject, Injectable } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { currentLeadership, LeaderOnly } from '@nestmesh/coordination';

import { StaleEpochError } from './inventory.errors.js';
import { IntervalJob } from './interval-job.js';
import { StockStore, type RestockPolicy } from './stock/stock.store.js';

export interface RestockOptions extends Partial<RestockPolicy> {
  /** How often the leader reconciles stock, in ms. Default 10 000. */
  everyMs?: number;
}

export const RESTOCK_OPTIONS = Symbol.for('nestmesh.inventory.RestockOptions');

/** Defaults: a sold-out SKU (fewer than 1 available) is topped up to 100 units. */
export const DEFAULT_RESTOCK = { everyMs: 10_000, below: 1n, to: 100n } as const;

/**
 * The inventory's leader-only job: every `everyMs` (an interval in @nestjs/schedule's
 * registry, so every instance fires it) the leader of the `inventory` election group tops up
 * SKUs that run low. Followers skip (`@LeaderOnly`). Each write carries the leadership epoch,
 * and the store refuses an epoch older than the last it accepted (StaleEpochError): a leader
 * that was replaced while paused cannot restock on top of its successor. The run stops early
 * when leadership ends mid-run; at shutdown a run in progress finishes before leadership is
 * released.
 */
@Injectable()
export class RestockJob extends IntervalJob {
  constructor(
    @Inject(StockStore) private readonly store: StockStore,
    @Inject(RESTOCK_OPTIONS) private readonly options: Required<RestockOptions>,
    scheduler: SchedulerRegistry,
  ) {
    super('inventory-restock', options.everyMs, scheduler);
  }

  @LeaderOnly()
  async run(): Promise<string[]> {
    const { epoch, signal } = currentLeadership()!;
    const restocked: string[] = [];
    for (const sku of await this.store.skus()) {
      if (signal.aborted) break;
      try {
        const level = await this.store.restock(sku, this.options, epoch);
        if (level) {
          restocked.push(sku);
          this.logger.log(`restocked ${sku} to ${level.available} (epoch ${epoch})`);
        }
      } catch (error) {
        if (error instanceof StaleEpochError) {
          this.logger.warn(`${error.message}; stopping this run`);
          break;
        }
        throw error;
      }
    }
    return restocked;
  }
}
