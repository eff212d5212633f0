// An InventoryService for the load-shedding specs: it counts what ran for each call (guard,
// interceptor, handler), holds calls on a latch the test opens, and moves the shedding clock
// the test injects, so that latencies are what the test says and never real time.
import { Controller, Injectable, UseGuards, UseInterceptors } from '@nestjs/common';
import type { CallHandler, CanActivate, NestInterceptor } from '@nestjs/common';
import {
  InventoryServiceControllerMethods,
  type GetStockRequest,
  type GetStockResponse,
  type ReserveStockResponse,
  type StockEvent,
} from '@nestmesh/contracts/inventory/v1';
import { Observable } from 'rxjs';

import { NoShedding } from '../server/shedding/no-shedding.decorator.js';

/** A clock the test moves by hand (the shedding `clock` option). */
export class ManualClock {
  constructor(public nowMs = 10_000) {}
  now(): number {
    return this.nowMs;
  }
}

function newLatch(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** What ran, and the calls held until the test releases them. */
@Injectable()
export class SheddingProbe {
  guarded = 0;
  intercepted = 0;
  handled = 0;
  held = 0;
  readonly clock = new ManualClock();
  private latch = newLatch();

  /** Lets every held call go on, and holds the next ones again. */
  release(): void {
    this.latch.open();
    this.latch = newLatch();
  }

  async hold(): Promise<void> {
    this.held++;
    try {
      await this.latch.opened;
    } finally {
      this.held--;
    }
  }
}

@Injectable()
export class CountingGuard implements CanActivate {
  constructor(private readonly probe: SheddingProbe) {}
  canActivate(): boolean {
    this.probe.guarded++;
    return true;
  }
}

@Injectable()
export class CountingInterceptor implements NestInterceptor {
  constructor(private readonly probe: SheddingProbe) {}
  intercept(_context: unknown, next: CallHandler): ReturnType<CallHandler['handle']> {
    this.probe.intercepted++;
    return next.handle();
  }
}

/**
 * `getStock` by SKU: `hold` waits for `probe.release()`, `took:<ms>` moves the clock by that
 * much (the call then took that long), anything else answers at once. `reserveStock` is
 * `@NoShedding()`; `watchStock` sends one event and stays open until cancelled.
 */
@Controller()
@InventoryServiceControllerMethods()
@UseGuards(CountingGuard)
@UseInterceptors(CountingInterceptor)
export class SheddingController {
  constructor(private readonly probe: SheddingProbe) {}

  async getStock({ sku }: GetStockRequest): Promise<GetStockResponse> {
    this.probe.handled++;
    const [behaviour, argument] = sku.split(':');
    if (behaviour === 'hold') await this.probe.hold();
    if (behaviour === 'took') this.probe.clock.nowMs += Number(argument);
    const updatedAt = new Date(0);
    return { stock: { sku, available: 1n, reserved: 0n, version: 1n, updatedAt }, servedBy: 'shedding' };
  }

  @NoShedding()
  reserveStock(): ReserveStockResponse {
    this.probe.handled++;
    return { reservation: undefined, stock: undefined };
  }

  watchStock(): Observable<StockEvent> {
    this.probe.handled++;
    return new Observable<StockEvent>((subscriber) => {
      subscriber.next({ event: undefined, emittedAt: new Date(0) });
    });
  }

  releaseReservation(): never {
    throw new Error('not used');
  }
  importStock(): never {
    throw new Error('not used');
  }
  followStock(): never {
    throw new Error('not used');
  }
  confirmReservations(): never {
    throw new Error('not used');
  }
}

/** The providers the controller's enhancers need. */
export const SHEDDING_PROVIDERS = [SheddingProbe, CountingGuard, CountingInterceptor];
