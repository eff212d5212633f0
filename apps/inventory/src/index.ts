export { InventoryController } from './inventory.controller.js';
export {
  InsufficientStockError,
  InvalidReservationError,
  InventoryError,
  ReservationConflictError,
  ReservationReleasedError,
  StaleEpochError,
  StaleWriteError,
  StockUnavailableError,
  UnknownReservationError,
  UnknownSkuError,
} from './inventory.errors.js';
export { InventoryModule, type InventoryOptions } from './inventory.module.js';
export { DEFAULT_RECONCILE, ReconcileJob, type ReconcileOptions } from './reconcile.job.js';
export { DEFAULT_RESTOCK, RestockJob, type RestockOptions } from './restock.job.js';
export { MemoryStockStore } from './stock/memory-stock.store.js';
export { RedisStockStore } from './stock/redis-stock.store.js';
export {
  DEFAULT_RESERVATION_POLICY,
  DEMO_SEED,
  StockStore,
  type ReservationPolicy,
  type ReleaseTarget,
  type ReserveInput,
  type RestockPolicy,
} from './stock/stock.store.js';
