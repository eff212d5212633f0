import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { currentLeadership, LeaderOnly } from '@nestmesh/coordination';

import { StaleEpochError } from './inventory.errors.js';
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
export class RestockJob implements OnApplicationBootstrap {
  private readonly logger = new Logger('RestockJob');
  private running = false;

  constructor(
    @Inject(StockStore) private readonly store: StockStore,
    @Inject(RESTOCK_OPTIONS) private readonly options: Required<RestockOptions>,
    private readonly scheduler: SchedulerRegistry,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => void this.tick(), this.options.everyMs);
    this.scheduler.addInterval('inventory-restock', timer);
  }

  /** One firing: skipped if the previous run is still going. */
  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.run();
    } catch (error) {
      this.logger.error(`restock failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.running = false;
    }
  }

  /** Reconciles every SKU as the leader; resolves to the SKUs topped up (undefined on a follower). */
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
