import { Controller } from '@nestjs/common';
import {
  OrderServiceControllerMethods,
  type GetOrderRequest,
  type GetOrderResponse,
  type OrderServiceController,
  type PlaceOrderRequest,
  type PlaceOrderResponse,
} from '@nestmesh/contracts/order/v1';

import { invalidArgument } from '@nestmesh/grpc';

import { InvalidRequestError } from './order.errors.js';
import { OrdersService } from './orders.service.js';

@Controller()
@OrderServiceControllerMethods()
export class OrderGrpcController implements OrderServiceController {
  constructor(private readonly orders: OrdersService) {}

  /**
   * The same rules as POST /orders (OrdersService validates): a bad order is INVALID_ARGUMENT
   * with a google.rpc.BadRequest naming each bad field. An empty idempotency_key is none.
   */
  async placeOrder({ items, idempotencyKey }: PlaceOrderRequest): Promise<PlaceOrderResponse> {
    try {
      const { order } = await this.orders.place({ items, idempotencyKey: idempotencyKey || undefined });
      return { order };
    } catch (error) {
      if (error instanceof InvalidRequestError) throw invalidArgument(error.message, error.violations);
      throw error;
    }
  }

  async getOrder({ orderId }: GetOrderRequest): Promise<GetOrderResponse> {
    return { order: await this.orders.get(orderId) };
  }
}
