// The generated contracts. Import a package on its subpath for its types and codecs
// (`@nestmesh/contracts/inventory/v1`); the root exports the descriptor set that gRPC
// reflection serves, and the packages as namespaces for code that needs several.
export { descriptorSet } from './generated/descriptor-set.js';
export * as echoV1 from './generated/echo/v1/echo.js';
export * as healthV1 from './generated/grpc/health/v1/health.js';
export * as inventoryV1 from './generated/inventory/v1/inventory.js';
export * as orderV1 from './generated/order/v1/order.js';
