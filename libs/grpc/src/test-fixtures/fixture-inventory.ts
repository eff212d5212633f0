// A fixture InventoryService for the library's own tests: each SKU name selects a behaviour
// (slow, failing, streaming forever) so tests can drive every path of the transport.
import { Controller, Inject, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { descriptorSet } from '@nestmesh/contracts';
import {
  InventoryServiceControllerMethods,
  InventoryServiceService,
  ReservationStatus,
  type GetStockRequest,
  type GetStockResponse,
  type InventoryServiceController,
  type ReleaseReservationRequest,
  type ReleaseReservationResponse,
  type ReserveStockRequest,
  type ReserveStockResponse,
  type StockEvent,
  type WatchStockRequest,
} from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule } from '@nestmesh/discovery';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Observable } from 'rxjs';

import { MeshClientModule, type MeshClientOptions } from '../client/mesh-client.module.js';
import { RpcError } from '../grpc.errors.js';
import { callSignal, type CancellableCall } from '../server/call-signal.js';
import { MeshGrpcModule } from '../server/mesh-grpc.module.js';
import type { MeshGrpcModuleOptions } from '../server/mesh-grpc.module-definition.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import { observe } from '../streaming/observe.js';
import { status as Status } from '@grpc/grpc-js';

export const MAX_INT64 = 2n ** 63n - 1n;
export const MIN_INT64 = -(2n ** 63n);
export const FIXED_DATE = new Date(Date.UTC(2026, 10, 26, 12, 34, 56, 789));

/** What the fixture saw, for assertions on the server side of a round trip. */
export class FixtureLog {
  readonly requests: unknown[] = [];
  /** Resolves a pending `slow:<ms>` call's start, so tests know a call is in flight. */
  inFlight = 0;
}

class NotFoundDomainError extends Error {
  readonly code = 'NOT_FOUND';
}

@Controller()
@InventoryServiceControllerMethods()
export class FixtureInventoryController implements InventoryServiceController {
  constructor(
    @Inject(FixtureLog) private readonly log: FixtureLog,
    private readonly server: MeshGrpcServer,
  ) {}

  async getStock(
    request: GetStockRequest,
    _metadata?: Metadata,
    call?: CancellableCall,
  ): Promise<GetStockResponse> {
    this.log.requests.push(request);
    const [behaviour, argument] = request.sku.split(':');
    switch (behaviour) {
      case 'slow':
        this.log.inFlight++;
        try {
          await sleep(Number(argument), undefined, call ? { signal: callSignal(call) } : {});
        } finally {
          this.log.inFlight--;
        }
        break;
      case 'missing':
        throw new NotFoundDomainError(`no SKU ${argument}`);
      case 'denied':
        throw new RpcError(Status.PERMISSION_DENIED, 'not yours');
      case 'boom':
        throw new Error('secret internal detail');
    }
    return {
      stock: {
        sku: request.sku,
        available: MAX_INT64,
        reserved: MIN_INT64,
        version: 1n,
        updatedAt: FIXED_DATE,
      },
      servedBy: this.server.instance?.id ?? '',
    };
  }

  reserveStock(request: ReserveStockRequest): ReserveStockResponse {
    this.log.requests.push(request);
    return {
      reservation: {
        reservationId: 'r-1',
        orderId: request.orderId,
        sku: request.sku,
        quantity: request.quantity,
        status: ReservationStatus.RESERVATION_STATUS_RELEASED,
        reservedAt: FIXED_DATE,
        servedBy: this.server.instance?.id ?? '',
        expiresAt: undefined,
      },
      stock: undefined,
    };
  }

  releaseReservation(request: ReleaseReservationRequest): ReleaseReservationResponse {
    this.log.requests.push(request);
    const orderId = request.target?.$case === 'orderId' ? request.target.orderId : '';
    return {
      released: [
        {
          reservationId: request.target?.$case === 'reservationId' ? request.target.reservationId : '',
          orderId,
          sku: '',
          quantity: 0n,
          status: ReservationStatus.RESERVATION_STATUS_RELEASED,
          reservedAt: undefined,
          servedBy: '',
          expiresAt: undefined,
        },
      ],
    };
  }

  importStock(): never {
    throw new Error('not used by the fixture');
  }

  followStock(): never {
    throw new Error('not used by the fixture');
  }

  confirmReservations(): never {
    throw new Error('not used by the fixture');
  }

  watchStock({ skus }: WatchStockRequest): Observable<StockEvent> {
    const log = this.log;
    return observe(async function* (signal) {
      yield {
        event: {
          $case: 'snapshot',
          snapshot: { sku: skus[0] ?? '', available: 1n, reserved: 0n, version: 1n, updatedAt: FIXED_DATE },
        },
        emittedAt: FIXED_DATE,
      };
      for (let version = 2n; ; version++) {
        if (!skus.includes('forever') && version > 3n) return;
        await sleep(5, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) {
          log.requests.push('stream-aborted');
          return;
        }
        yield {
          event: {
            $case: 'changed',
            changed: {
              sku: skus[0] ?? '',
              available: version,
              reserved: MAX_INT64,
              version,
              updatedAt: FIXED_DATE,
            },
          },
          emittedAt: FIXED_DATE,
        };
      }
    });
  }
}

export interface FixtureOptions {
  registry: string;
  server?: Partial<MeshGrpcModuleOptions>;
  client?: Partial<MeshClientOptions>;
  /** Leave out the controller (a server with no handlers). */
  withoutController?: boolean;
}

/** An app that serves the fixture as service "fixture" and holds a client dialling it. */
@Module({})
export class FixtureModule {
  static forRoot({ registry, server, client, withoutController }: FixtureOptions): DynamicModule {
    return {
      module: FixtureModule,
      imports: [
        DiscoveryModule.forRoot({ url: registry }),
        MeshGrpcModule.forRoot({
          name: 'fixture',
          services: [InventoryServiceService],
          descriptorSet,
          deregisterDelayMs: 20,
          ...server,
        }),
        MeshClientModule.register({ service: 'fixture', definition: InventoryServiceService, ...client }),
      ],
      controllers: withoutController ? [] : [FixtureInventoryController],
      providers: [FixtureLog],
    };
  }
}
