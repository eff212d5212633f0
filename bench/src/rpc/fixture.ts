// The one response every benchmarked server sends, so that only the server layer differs.
import type { GetStockResponse } from '@nestmesh/contracts/inventory/v1';

export const BENCH_SKU = 'A-1';
export const UPDATED_AT = new Date(Date.UTC(2026, 10, 26, 12, 0, 0, 0));

/** ts-proto shape (bigint, Date): raw grpc-js and NestMesh. */
export const RESPONSE: GetStockResponse = {
  stock: { sku: BENCH_SKU, available: 1000n, reserved: 3n, version: 7n, updatedAt: UPDATED_AT },
  servedBy: 'bench',
};

/** proto-loader shape (numbers, Timestamp object): stock Nest. The same bytes on the wire. */
export const PROTO_LOADER_RESPONSE = {
  stock: {
    sku: BENCH_SKU,
    available: 1000,
    reserved: 3,
    version: 7,
    updatedAt: { seconds: UPDATED_AT.getTime() / 1000, nanos: 0 },
  },
  servedBy: 'bench',
};
