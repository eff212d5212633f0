export {
  configureHttp,
  DEFAULT_HTTP_BODY_LIMIT_BYTES,
  HTTP_BODY_LIMIT_ENV,
  HTTP_DEADLINE_ENV,
  type HttpEdgeOptions,
} from './http/configure-http.js';
export { HTTP_CORS_ORIGINS_ENV, parseCorsOrigins } from './http/edge-security.js';
export {
  DEFAULT_HTTP_RATE_LIMIT,
  HTTP_RATE_LIMIT_ENV,
  parseRateLimit,
  RATE_LIMIT_EXEMPT_PATHS,
  type RateLimit,
} from './http/rate-limit.js';
export { HTTP_TRUST_PROXY_ENV, parseTrustedProxies, type TrustedProxies } from './http/trusted-proxies.js';
export { OrdersHttpController } from './http/orders.http-controller.js';
export {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidOrderError,
  InvalidRequestError,
  ORDER_ERROR_CODES,
  ORDER_HTTP_STATUSES,
  OrderConfigError,
  OrderError,
  OrderNotFoundError,
  OrderStoreUnavailableError,
} from './order.errors.js';
export { OrderGrpcController } from './order.grpc-controller.js';
export { HTTP_PORT_METADATA, OrderModule, type OrderOptions } from './order.module.js';
export { OrdersService, type PlacedOrder, type PlaceOrderInput } from './orders.service.js';
export { MemoryOrderStore } from './store/memory-order.store.js';
export { DEFAULT_IDEMPOTENCY_RETENTION_MS } from './store/order-store.constants.js';
export { OrderStore, type IdempotentPlacement } from './store/order.store.js';
export { RedisOrderStore, type RedisOrderStoreOptions } from './store/redis-order.store.js';
export {
  MAX_ITEM_QUANTITY,
  MAX_ORDER_ITEMS,
  PlaceOrderDto,
  SKU_PATTERN,
} from './validation/place-order.dto.js';
export { IDEMPOTENCY_KEY_PATTERN } from './validation/validate-place-order.js';
