import { Controller, Inject } from '@nestjs/common';
import {
  InventoryServiceControllerMethods,
  type ConfirmReservationsRequest,
  type ConfirmReservationsResponse,
  type FollowStockRequest,
  type GetStockRequest,
  type GetStockResponse,
  type ImportStockRequest,
  type ImportStockResponse,
  type InventoryServiceController,
  type ReleaseReservationRequest,
  type ReleaseReservationResponse,
  type ReserveStockRequest,
  type ReserveStockResponse,
  type StockEvent,
  type WatchStockRequest,
} from '@nestmesh/contracts/inventory/v1';
import { MeshGrpcServer, observe } from '@nestmesh/grpc';
import { concatMap, from, lastValueFrom, reduce, type Observable } from 'rxjs';

import { followStock } from './follow-stock.js';
import { InvalidReservationError, UnknownSkuError } from './inventory.errors.js';
import { StockStore } from './stock/stock.store.js';

@Controller()
@InventoryServiceControllerMethods()
export class InventoryController implements InventoryServiceController {
  constructor(
    @Inject(StockStore) private readonly stock: StockStore,
    private readonly server: MeshGrpcServer,
  ) {}

  private get servedBy(): string {
    return this.server.instance?.id ?? 'inventory';
  }

  async getStock({ sku }: GetStockRequest): Promise<GetStockResponse> {
    const stock = await this.stock.level(sku);
    if (!stock) throw new UnknownSkuError(sku);
    return { stock, servedBy: this.servedBy };
  }

  async reserveStock(request: ReserveStockRequest): Promise<ReserveStockResponse> {
    return this.stock.reserve(request, this.servedBy);
  }

  async confirmReservations({ orderId }: ConfirmReservationsRequest): Promise<ConfirmReservationsResponse> {
    if (!orderId) throw new InvalidReservationError('order_id is required');
    return { confirmed: await this.stock.confirm(orderId) };
  }

  async releaseReservation({ target }: ReleaseReservationRequest): Promise<ReleaseReservationResponse> {
    if (!target) throw new InvalidReservationError('one of reservation_id or order_id is required');
    const released = await this.stock.release(
      target.$case === 'reservationId'
        ? { reservationId: target.reservationId }
        : { orderId: target.orderId },
    );
    return { released };
  }

  /**
   * Applies each delivery as it arrives, one after another (concatMap: a SKU's additions land
   * in stream order). A bad request fails the call with INVALID_ARGUMENT; the deliveries
   * before it stay applied, as the proto documents.
   */
  async importStock(requests: Observable<ImportStockRequest>): Promise<ImportStockResponse> {
    const { skus, units } = await lastValueFrom(
      requests.pipe(
        concatMap(({ sku, quantity }) => from(this.stock.add(sku, quantity).then(() => ({ sku, quantity })))),
        reduce((total, { sku, quantity }) => ({ skus: total.skus.add(sku), units: total.units + quantity }), {
          skus: new Set<string>(),
          units: 0n,
        }),
      ),
    );
    return { skus: skus.size, units };
  }

  watchStock({ skus }: WatchStockRequest): Observable<StockEvent> {
    const store = this.stock;
    return observe(async function* (signal) {
      for (const sku of skus.length ? skus : await store.skus()) {
        const level = await store.level(sku);
        if (!level) throw new UnknownSkuError(sku);
        yield { event: { $case: 'snapshot', snapshot: level }, emittedAt: new Date() } satisfies StockEvent;
      }
      for await (const level of store.changes(skus, { signal })) {
        yield { event: { $case: 'changed', changed: level }, emittedAt: new Date() } satisfies StockEvent;
      }
    });
  }

  /**
   * A bidirectional feed: the requests change what the stream follows (follow-stock.ts). The
   * server unsubscribing (cancel, deadline, the end of a shutdown's drain) aborts the signal,
   * which releases the stream's change feed.
   */
  followStock(requests: Observable<FollowStockRequest>): Observable<StockEvent> {
    return observe((signal) => followStock(this.stock, requests, signal));
  }
}
