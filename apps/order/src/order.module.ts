import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { descriptorSet } from '@nestmesh/contracts';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { OrderServiceService } from '@nestmesh/contracts/order/v1';
import { TerminusModule } from '@nestjs/terminus';
import { MeshDashboardModule, type MeshDashboardModuleOptions } from '@nestmesh/dashboard';
import { DiscoveryModule } from '@nestmesh/discovery';
import { MeshClientModule, MeshGrpcModule, type ServerBinding } from '@nestmesh/grpc';
import { TELEMETRY_PORT_METADATA, TelemetryHttpModule } from '@nestmesh/telemetry';

import { GrpcServingIndicator, RegistrationIndicator } from '@nestmesh/grpc/terminus';
import { HealthController } from './health/health.controller.js';
import { OrdersHttpController } from './http/orders.http-controller.js';
import { rateLimitImports, resolveRateLimit, type RateLimit } from './http/rate-limit.js';
import { ORDER_ERROR_CODES } from './order.errors.js';
import { OrderGrpcController } from './order.grpc-controller.js';
import { OrdersService } from './orders.service.js';
import { orderStoreProviders } from './store/order-store.providers.js';

/** The instance metadata key that carries the order app's HTTP port. */
export const HTTP_PORT_METADATA = 'http_port';

export interface OrderOptions {
  /** gRPC port; 0 (default) picks a free one. */
  grpcPort?: number;
  /**
   * The HTTP port, registered as the instance's `http_port` metadata so that an edge fed from
   * discovery (HAProxy through its runtime API, `npm run start:stack`) finds the HTTP side.
   * main.ts passes PORT when it is not 0.
   */
  httpPort?: number;
  /** Interface the gRPC server binds (default 127.0.0.1) and the address it registers: env HOST / ADVERTISE_HOST in main.ts. */
  binding?: ServerBinding;
  /** Discovery URL; default DISCOVERY_URL, then memory://. */
  discoveryUrl?: string;
  /** Deadline of calls to inventory, in ms (default 5000). */
  inventoryTimeoutMs?: number;
  drainTimeoutMs?: number;
  deregisterDelayMs?: number;
  /** Discovery id of this instance; main.ts passes telemetry's `service.instance.id`. Default: generated. */
  instanceId?: string;
  /**
   * Redis for orders and idempotency keys, shared by every order instance; default REDIS_URL.
   * Without it, orders live in this process's memory (lost on restart, not shared).
   */
  redisUrl?: string;
  /** How long Redis remembers a placed idempotency key, in ms (default 24 h). */
  idempotencyRetentionMs?: number;
  /**
   * The mesh dashboard (@nestmesh/dashboard) on the HTTP server; default at `/mesh`, reading
   * the same registry as the app (`discoveryUrl`). `false` leaves it out.
   */
  dashboard?: MeshDashboardModuleOptions | false;
  /**
   * Requests per client address on the HTTP routes (@nestjs/throttler); beyond it, 429 with
   * Retry-After. Default HTTP_RATE_LIMIT (`100/1s`, `false`/`0` = off), then 100 per second.
   * `false` turns it off. /healthz, /readyz, /metrics and /debug/traces are never limited.
   */
  rateLimit?: RateLimit | false;
}

/** The HTTP side of the instance (TelemetryHttpModule serves its telemetry there too). */
function httpMetadata(httpPort: number): Record<string, string> {
  return { [HTTP_PORT_METADATA]: String(httpPort), [TELEMETRY_PORT_METADATA]: String(httpPort) };
}

/**
 * The order service: HTTP API and gRPC OrderService; reserves stock on inventory by name.
 * `/healthz` and `/readyz` (HealthController) come with it, and `/metrics` and `/debug/traces`
 * (TelemetryHttpModule; they answer 503 unless main.ts started telemetry), and the mesh dashboard
 * at `/mesh/` (MeshDashboardModule).
 */
@Module({})
export class OrderModule {
  static forRoot(options: OrderOptions = {}): DynamicModule {
    const redisUrl = options.redisUrl ?? process.env.REDIS_URL;
    const rateLimit = rateLimitImports(resolveRateLimit(options.rateLimit));
    return {
      module: OrderModule,
      imports: [
        TerminusModule.forRoot(),
        TelemetryHttpModule,
        ...rateLimit.imports,
        ...(options.dashboard === false
          ? []
          : [MeshDashboardModule.forRoot({ discoveryUrl: options.discoveryUrl, ...options.dashboard })]),
        DiscoveryModule.forRoot({ url: options.discoveryUrl }),
        MeshGrpcModule.forRoot({
          name: 'order',
          instanceId: options.instanceId,
          services: [OrderServiceService],
          port: options.grpcPort,
          ...options.binding,
          ...(options.httpPort ? { metadata: httpMetadata(options.httpPort) } : {}),
          descriptorSet,
          drainTimeoutMs: options.drainTimeoutMs,
          deregisterDelayMs: options.deregisterDelayMs,
          errorCodes: ORDER_ERROR_CODES,
        }),
        MeshClientModule.register({
          service: 'inventory',
          definition: InventoryServiceService,
          timeoutMs: options.inventoryTimeoutMs,
          // The proto's idempotency_level marks what may be retried on more than UNAVAILABLE.
          descriptorSet,
        }),
      ],
      controllers: [OrderGrpcController, OrdersHttpController, HealthController],
      providers: [
        OrdersService,
        GrpcServingIndicator,
        RegistrationIndicator,
        ...rateLimit.providers,
        ...orderStoreProviders({ ...options, redisUrl }),
      ],
    };
  }
}
