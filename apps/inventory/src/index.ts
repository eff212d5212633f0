export { InventoryController } from './inventory.controller.js';
export {
  InsufficientStockError,
  InvalidReservationError,
  InventoryError,
  StaleWriteError,
  StockUnavailableError,
  UnknownReservationError,
  UnknownSkuError,
} from './inventory.errors.js';
export { InventoryModule, type InventoryOptions } from './inventory.module.js';
export { MemoryStockStore } from './stock/memory-stock.store.js';
export { RedisStockStore } from './stock/redis-stock.store.js';
export { DEMO_SEED, StockStore, type ReleaseTarget, type ReserveInput } from './stock/stock.store.js';
