import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  InventoryServiceService,
  type InventoryServiceService as InventoryDefinition,
  type StockLevel,
} from '@nestmesh/contracts/inventory/v1';
import { OrderStatus, type Order } from '@nestmesh/contracts/order/v1';
import { InjectMeshClient, type MeshClient } from '@nestmesh/grpc';

import { OrdersService } from '../orders.service.js';
import { PlaceOrderBody } from './place-order.body.js';

/** int64 → JSON: a number while it is exact, a decimal string beyond 2^53. */
function jsonInt(value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

function presentOrder(order: Order) {
  return {
    id: order.orderId,
    status: OrderStatus[order.status],
    createdAt: order.createdAt?.toISOString(),
    items: order.items.map((item) => ({
      sku: item.sku,
      quantity: jsonInt(item.quantity),
      reservationId: item.reservationId,
      reservedBy: item.reservedBy,
    })),
  };
}

function presentStock(stock: StockLevel | undefined, servedBy: string) {
  return (
    stock && {
      sku: stock.sku,
      available: jsonInt(stock.available),
      reserved: jsonInt(stock.reserved),
      version: jsonInt(stock.version),
      updatedAt: stock.updatedAt?.toISOString(),
      servedBy,
    }
  );
}

/** The HTTP edge of the order service. Errors map to HTTP through GrpcHttpExceptionFilter. */
@Controller()
export class OrdersHttpController {
  constructor(
    private readonly orders: OrdersService,
    @InjectMeshClient(InventoryServiceService) private readonly inventory: MeshClient<InventoryDefinition>,
  ) {}

  @Post('orders')
  @HttpCode(201)
  async place(@Body() body: PlaceOrderBody) {
    const order = await this.orders.place({
      items: body.items.map(({ sku, quantity }) => ({ sku, quantity: BigInt(quantity) })),
      idempotencyKey: body.idempotencyKey,
    });
    return presentOrder(order);
  }

  @Get('orders/:id')
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return presentOrder(this.orders.get(id));
  }

  @Get('stock/:sku')
  async stock(@Param('sku') sku: string) {
    const { stock, servedBy } = await this.inventory.getStock({ sku });
    return presentStock(stock, servedBy);
  }
}
