import { Controller } from '@nestjs/common';
import {
  OrderServiceControllerMethods,
  type GetOrderRequest,
  type GetOrderResponse,
  type OrderServiceController,
  type PlaceOrderRequest,
  type PlaceOrderResponse,
} from '@nestmesh/contracts/order/v1';

import { OrdersService } from './orders.service.js';

@Controller()
@OrderServiceControllerMethods()
export class OrderGrpcController implements OrderServiceController {
  constructor(private readonly orders: OrdersService) {}

  async placeOrder({ items, idempotencyKey }: PlaceOrderRequest): Promise<PlaceOrderResponse> {
    return { order: await this.orders.place({ items, idempotencyKey: idempotencyKey || undefined }) };
  }

  getOrder({ orderId }: GetOrderRequest): GetOrderResponse {
    return { order: this.orders.get(orderId) };
  }
}
