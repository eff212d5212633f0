import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  InventoryServiceService,
  type InventoryServiceService as InventoryDefinition,
} from '@nestmesh/contracts/inventory/v1';
import { OrderStatus, type Order, type OrderItem } from '@nestmesh/contracts/order/v1';
import { InjectMeshClient, type MeshClient } from '@nestmesh/grpc';
import { randomUUID } from 'node:crypto';

import { fingerprint } from './idempotency/canonical-json.js';
import { OrderNotFoundError } from './order.errors.js';
import { INVENTORY_TIMEOUT_MS } from './store/order-store.providers.js';
import { OrderStore, type PlacedOrder } from './store/order.store.js';
import { validatePlaceOrder, type PlaceOrderInput } from './validation/validate-place-order.js';

export type { PlacedOrder, PlaceOrderInput };

/**
 * Places orders by reserving every item on inventory, all or nothing: when one reservation
 * fails, the order's reservations are released and the first error is rethrown unchanged, so
 * its gRPC status (NOT_FOUND, FAILED_PRECONDITION) reaches the caller. Reservations are made
 * under the order's id, which makes each idempotent per (order, SKU): a retried ReserveStock
 * never reserves twice. They are confirmed once every item is reserved, before the order is
 * saved; an unconfirmed one expires, and inventory's leader-only reconcile job releases it. Every order is first
 * checked against the rules both edges share (validatePlaceOrder). With an idempotency key,
 * the same items under the same key place one order; other items under it are refused. Orders
 * and keys live in the OrderStore (memory, or Redis shared by every instance).
 */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger('OrdersService');

  constructor(
    @InjectMeshClient(InventoryServiceService) private readonly inventory: MeshClient<InventoryDefinition>,
    @Inject(OrderStore) private readonly store: OrderStore,
    @Inject(INVENTORY_TIMEOUT_MS) private readonly inventoryTimeoutMs: number,
  ) {}

  async place(input: PlaceOrderInput): Promise<PlacedOrder> {
    validatePlaceOrder(input);
    const { items, idempotencyKey } = input;
    if (idempotencyKey === undefined) return { order: await this.reserveAll(items), replayed: false };
    const request = { items: items.map(({ sku, quantity }) => ({ sku, quantity })) };
    return this.store.placeOnce(idempotencyKey, {
      fingerprint: fingerprint(request),
      // One deadline per reservation, one to confirm them, one for releasing them on a failure.
      placementTimeoutMs: (items.length + 2) * this.inventoryTimeoutMs,
      place: () => this.reserveAll(items),
    });
  }

  private async reserveAll(items: PlaceOrderInput['items']): Promise<Order> {
    const orderId = randomUUID();
    const reserved: OrderItem[] = [];
    try {
      for (const { sku, quantity } of items) {
        const { reservation } = await this.inventory.reserveStock({ orderId, sku, quantity });
        reserved.push({
          sku,
          quantity,
          reservationId: reservation!.reservationId,
          reservedBy: reservation!.servedBy,
        });
      }
    } catch (error) {
      // Even with nothing answered: a reservation whose call timed out may have been made.
      await this.compensate(orderId, reserved.length);
      throw error;
    }
    try {
      // Confirmed reservations never expire. Before the save: a crash between the two leaves
      // units held for an order nobody sees (never sold twice); the other way round, a placed
      // order would lose its units when they expired.
      await this.inventory.confirmReservations({ orderId });
    } catch (error) {
      await this.compensate(orderId, reserved.length);
      throw error;
    }
    const order: Order = {
      orderId,
      items: reserved,
      status: OrderStatus.ORDER_STATUS_PLACED,
      createdAt: new Date(),
    };
    try {
      await this.store.save(order);
    } catch (error) {
      // An order nobody can read back must not hold stock: undo it, answer the store's error.
      await this.compensate(orderId, reserved.length);
      throw error;
    }
    return order;
  }

  async get(orderId: string): Promise<Order> {
    const order = await this.store.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  private async compensate(orderId: string, reservedCount: number): Promise<void> {
    try {
      const { released } = await this.inventory.releaseReservation({ target: { $case: 'orderId', orderId } });
      // Rare and worth seeing (stock moved and moved back); the line carries the request's trace id.
      if (released.length > 0)
        this.logger.log(
          `order ${orderId} failed after ${reservedCount} item(s) were reserved; released them`,
        );
    } catch (error) {
      // The reservations stay held, unconfirmed: inventory's leader-only reconcile job releases
      // them once they expire (RESERVATION_TTL_MS, default 2 min). So does it for a reservation
      // whose timed-out call lands after this release.
      this.logger.error(`releasing the reservations of failed order ${orderId} failed: ${String(error)}`);
    }
  }
}
