import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import {
  InventoryServiceService,
  type InventoryServiceService as InventoryDefinition,
  type StockLevel,
} from '@nestmesh/contracts/inventory/v1';
import { OrderStatus, type Order } from '@nestmesh/contracts/order/v1';
import { InjectMeshClient, type MeshClient } from '@nestmesh/grpc';

import { InvalidRequestError } from '../order.errors.js';
import { OrdersService } from '../orders.service.js';
import { PlaceOrderDto, SKU_PATTERN, SKU_RULE } from '../validation/place-order.dto.js';
import { idempotencyKeyViolation } from '../validation/validate-place-order.js';

/** What the controller sets on Express's response. */
interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/**
 * The Idempotency-Key header's key, or undefined without one. The IETF draft makes the value a
 * structured-field string ("…"); a bare token, as most clients send, is taken as it is.
 */
function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = /^"(.*)"$/.exec(header)?.[1] ?? header;
  const violation = idempotencyKeyViolation(key, IDEMPOTENCY_KEY_HEADER);
  if (violation) throw new InvalidRequestError([violation]);
  return key;
}

const orderIdPipe = new ParseUUIDPipe({
  exceptionFactory: () => new InvalidRequestError([{ field: 'id', description: 'id must be a UUID' }]),
});

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

  /**
   * 201 with the order and its Location. Sent again with the same Idempotency-Key and the same
   * items, it answers the same 201 with the same order (marked `Idempotent-Replayed: true`), so
   * a client retrying after a lost response sees what it would have seen; other items under
   * that key get 422 IDEMPOTENCY_KEY_REUSED.
   */
  @Post('orders')
  @HttpCode(201)
  async place(
    @Body() body: PlaceOrderDto,
    @Headers('idempotency-key') idempotencyKeyHeader: string | undefined,
    @Res({ passthrough: true }) response: HeaderSink,
  ) {
    const { order, replayed } = await this.orders.place({
      items: body.items.map(({ sku, quantity }) => ({ sku, quantity: BigInt(quantity) })),
      idempotencyKey: idempotencyKeyOf(idempotencyKeyHeader),
    });
    response.setHeader('Location', `/orders/${order.orderId}`);
    if (replayed) response.setHeader('Idempotent-Replayed', 'true');
    return presentOrder(order);
  }

  @Get('orders/:id')
  async get(@Param('id', orderIdPipe) id: string) {
    return presentOrder(await this.orders.get(id));
  }

  @Get('stock/:sku')
  async stock(@Param('sku') sku: string) {
    if (!SKU_PATTERN.test(sku)) throw new InvalidRequestError([{ field: 'sku', description: SKU_RULE }]);
    const { stock, servedBy } = await this.inventory.getStock({ sku });
    return presentStock(stock, servedBy);
  }
}
