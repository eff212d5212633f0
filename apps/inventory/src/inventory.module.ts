import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { descriptorSet } from '@nestmesh/contracts';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule } from '@nestmesh/discovery';
import { MeshGrpcModule } from '@nestmesh/grpc';

import { InventoryController } from './inventory.controller.js';
import { MemoryStockStore } from './stock/memory-stock.store.js';
import { DEMO_SEED, StockStore } from './stock/stock.store.js';

export interface InventoryOptions {
  /** gRPC port; 0 (default) picks a free one. Env INVENTORY_GRPC_PORT in main.ts. */
  grpcPort?: number;
  /** Discovery URL; default DISCOVERY_URL, then memory://. */
  discoveryUrl?: string;
  /** Name of the in-process stock store instances share (default "default"). */
  stockStore?: string;
  /** Initial stock when the store is first created. Default: the demo seed. */
  seed?: Readonly<Record<string, bigint>>;
  /** Shutdown drain timings (see MeshGrpcModule). */
  drainTimeoutMs?: number;
  deregisterDelayMs?: number;
}

/** The inventory service: stock and reservations over gRPC. */
@Module({})
export class InventoryModule {
  static forRoot(options: InventoryOptions = {}): DynamicModule {
    return {
      module: InventoryModule,
      imports: [
        DiscoveryModule.forRoot({ url: options.discoveryUrl }),
        MeshGrpcModule.forRoot({
          name: 'inventory',
          services: [InventoryServiceService],
          port: options.grpcPort,
          descriptorSet,
          drainTimeoutMs: options.drainTimeoutMs,
          deregisterDelayMs: options.deregisterDelayMs,
        }),
      ],
      controllers: [InventoryController],
      providers: [
        {
          provide: StockStore,
          useFactory: () =>
            MemoryStockStore.named(options.stockStore ?? 'default', options.seed ?? DEMO_SEED),
        },
      ],
    };
  }
}
