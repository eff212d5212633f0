/** The demo's seed SKUs (DEMO_SEED in apps/inventory/src/stock/stock.store.ts). */
export const DEFAULT_SKUS: readonly string[] = ['A-1', 'B-2', 'C-3'];
export const DEFAULT_ORDERS_PER_SECOND = 5;
export const DEFAULT_STOCK_READS_PER_SECOND = 10;
/** Per kind of request (orders, HTTP stock reads, gRPC stock reads). */
export const DEFAULT_MAX_IN_FLIGHT = 32;
export const DEFAULT_REPORT_MS = 5000;
export const DEFAULT_TIMEOUT_MS = 3000;

/** Above this a millisecond timer cannot keep the schedule; run more load generators instead. */
export const MAX_RATE_PER_SECOND = 1000;
export const MAX_IN_FLIGHT_LIMIT = 10_000;
export const MIN_REPORT_MS = 100;
export const MAX_REPORT_MS = 3_600_000;
export const MAX_TIMEOUT_MS = 600_000;

/** The order API's SKU rule (order's place-order.dto.ts): a bad one would only ever fail with 400. */
export const SKU_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
