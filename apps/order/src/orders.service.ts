import { Injectable, Logger } from '@nestjs/common';
import {
  InventoryServiceService,
  type InventoryServiceService as InventoryDefinition,
} from '@nestmesh/contracts/inventory/v1';
import { OrderStatus, type Order, type OrderItem } from '@nestmesh/contracts/order/v1';
import { InjectMeshClient, type MeshClient } from '@nestmesh/grpc';
import { randomUUID } from 'node:crypto';

import { InvalidOrderError, OrderNotFoundError } from './order.errors.js';

export interface PlaceOrderInput {
  items: readonly { sku: string; quantity: bigint }[];
  idempotencyKey?: string;
}

/**
 * Places orders by reserving every item on inventory, all or nothing: when one reservation
 * fails, the ones already made are released and the first error is rethrown unchanged, so
 * its gRPC status (NOT_FOUND, FAILED_PRECONDITION) reaches the caller.
 */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger('OrdersService');
  private readonly orders = new Map<string, Order>();
  private readonly byIdempotencyKey = new Map<string, string>();

  constructor(
    @InjectMeshClient(InventoryServiceService) private readonly inventory: MeshClient<InventoryDefinition>,
  ) {}

  async place({ items, idempotencyKey }: PlaceOrderInput): Promise<Order> {
    if (items.length === 0) throw new InvalidOrderError('an order needs at least one item');
    const known = idempotencyKey ? this.byIdempotencyKey.get(idempotencyKey) : undefined;
    if (known) return this.orders.get(known)!;

    const orderId = randomUUID();
    const reserved: OrderItem[] = [];
    try {
      for (const { sku, quantity } of items) {
        if (quantity < 1n) throw new InvalidOrderError(`quantity of ${sku} must be at least 1`);
        const { reservation } = await this.inventory.reserveStock({ orderId, sku, quantity });
        reserved.push({
          sku,
          quantity,
          reservationId: reservation!.reservationId,
          reservedBy: reservation!.servedBy,
        });
      }
    } catch (error) {
      if (reserved.length > 0) await this.compensate(orderId);
      throw error;
    }
    const order: Order = {
      orderId,
      items: reserved,
      status: OrderStatus.ORDER_STATUS_PLACED,
      createdAt: new Date(),
    };
    this.orders.set(orderId, order);
    if (idempotencyKey) this.byIdempotencyKey.set(idempotencyKey, orderId);
    return order;
  }

  get(orderId: string): Order {
    const order = this.orders.get(orderId);
    if (!order) throw new OrderNotFoundError(orderId);
    return order;
  }

  private async compensate(orderId: string): Promise<void> {
    try {
      await this.inventory.releaseReservation({ target: { $case: 'orderId', orderId } });
    } catch (error) {
      // The reservations stay held; inventory's reconcile job (a later issue) expires them.
      this.logger.error(`releasing the reservations of failed order ${orderId} failed: ${String(error)}`);
    }
  }
}
