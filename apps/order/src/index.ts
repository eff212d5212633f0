export { configureHttp } from './http/configure-http.js';
export { OrdersHttpController } from './http/orders.http-controller.js';
export { InvalidOrderError, OrderError, OrderNotFoundError } from './order.errors.js';
export { OrderGrpcController } from './order.grpc-controller.js';
export { OrderModule, type OrderOptions } from './order.module.js';
export { OrdersService, type PlaceOrderInput } from './orders.service.js';
