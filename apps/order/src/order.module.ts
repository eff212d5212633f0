import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { descriptorSet } from '@nestmesh/contracts';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { OrderServiceService } from '@nestmesh/contracts/order/v1';
import { TerminusModule } from '@nestjs/terminus';
import { DiscoveryModule } from '@nestmesh/discovery';
import { MeshClientModule, MeshGrpcModule, type ServerBinding } from '@nestmesh/grpc';
import { TelemetryHttpModule } from '@nestmesh/telemetry';

import { GrpcServingIndicator, RegistrationIndicator } from '@nestmesh/grpc/terminus';
import { HealthController } from './health/health.controller.js';
import { OrdersHttpController } from './http/orders.http-controller.js';
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
}

/**
 * The order service: HTTP API and gRPC OrderService; reserves stock on inventory by name.
 * `/healthz` and `/readyz` (HealthController) come with it, and `/metrics` and `/debug/traces`
 * (TelemetryHttpModule; they answer 503 unless main.ts started telemetry).
 */
@Module({})
export class OrderModule {
  static forRoot(options: OrderOptions = {}): DynamicModule {
    const redisUrl = options.redisUrl ?? process.env.REDIS_URL;
    return {
      module: OrderModule,
      imports: [
        TerminusModule.forRoot(),
        TelemetryHttpModule,
        DiscoveryModule.forRoot({ url: options.discoveryUrl }),
        MeshGrpcModule.forRoot({
          name: 'order',
          instanceId: options.instanceId,
          services: [OrderServiceService],
          port: options.grpcPort,
          ...options.binding,
          ...(options.httpPort ? { metadata: { [HTTP_PORT_METADATA]: String(options.httpPort) } } : {}),
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
        ...orderStoreProviders({ ...options, redisUrl }),
      ],
    };
  }
}
