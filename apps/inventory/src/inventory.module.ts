import { Inject, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationShutdown, Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LeaderElectionModule, LockModule, LockService } from '@nestmesh/coordination';
import { descriptorSet } from '@nestmesh/contracts';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule } from '@nestmesh/discovery';
import { MeshGrpcModule, type ServerBinding } from '@nestmesh/grpc';
import { credentialsCheckedOrClosed } from '@nestmesh/common';

import { InventoryController } from './inventory.controller.js';
import { InvalidReservationError } from './inventory.errors.js';
import {
  DEFAULT_RECONCILE,
  RECONCILE_OPTIONS,
  ReconcileJob,
  RESERVATION_POLICY,
  type ReconcileOptions,
} from './reconcile.job.js';
import { DEFAULT_RESTOCK, RESTOCK_OPTIONS, RestockJob, type RestockOptions } from './restock.job.js';
import { MemoryStockStore } from './stock/memory-stock.store.js';
import { RedisStockStore } from './stock/redis-stock.store.js';
import {
  DEFAULT_RESERVATION_POLICY,
  DEMO_SEED,
  StockStore,
  type ReservationPolicy,
} from './stock/stock.store.js';

export interface InventoryOptions {
  /** gRPC port; 0 (default) picks a free one. Env INVENTORY_GRPC_PORT in main.ts. */
  grpcPort?: number;
  /** Interface the gRPC server binds (default 127.0.0.1) and the address it registers: env HOST / ADVERTISE_HOST in main.ts. */
  binding?: ServerBinding;
  /** Discovery URL; default DISCOVERY_URL, then memory://. */
  discoveryUrl?: string;
  /** Name of the in-process stock store instances share (default "default"). */
  stockStore?: string;
  /** Initial stock when the store is first created. Default: the demo seed. */
  seed?: Readonly<Record<string, bigint>>;
  /**
   * Redis for stock and locks, shared by every instance; default REDIS_URL. Without it, stock
   * lives in an in-process store (shared only by instances in the same process).
   */
  redisUrl?: string;
  /**
   * The leader-only restock job (see RestockJob). Off unless given; `main.ts` turns it on
   * (RESTOCK_INTERVAL_MS, default 10 000; 0 turns it off).
   */
  restock?: RestockOptions;
  /**
   * The leader-only reconcile job that releases expired unconfirmed reservations (see
   * ReconcileJob). Off unless given; `main.ts` turns it on (RECONCILE_INTERVAL_MS, default
   * 10 000; 0 turns it off).
   */
  reconcile?: ReconcileOptions;
  /**
   * How long a reservation stays RESERVED unconfirmed (`ttlMs`, default 120 000; env
   * RESERVATION_TTL_MS in main.ts) and the wall clock that dates it (`clock`, default Date;
   * tests inject a manual one). With the memory store, the first instance to create a named
   * store sets its policy.
   */
  reservations?: Partial<ReservationPolicy>;
  /**
   * The leader election the restock and reconcile jobs run under: `group` (default
   * "inventory"), `url` (default ELECTION_URL, then REDIS_URL, then memory://) and timing.
   * Used with `restock` or `reconcile`.
   */
  election?: {
    group?: string;
    url?: string;
    ttlMs?: number;
    renewDeadlineMs?: number;
    retryIntervalMs?: number;
  };
  /** Shutdown drain timings (see MeshGrpcModule). */
  drainTimeoutMs?: number;
  deregisterDelayMs?: number;
  /**
   * Discovery id of this instance, and its candidate id in the election; main.ts passes
   * telemetry's `service.instance.id`. Default: generated.
   */
  instanceId?: string;
}

/** The inventory service: stock and reservations over gRPC. */
@Module({})
export class InventoryModule {
  static forRoot(options: InventoryOptions = {}): DynamicModule {
    const redisUrl = options.redisUrl ?? process.env.REDIS_URL;
    const restock = options.restock && { ...DEFAULT_RESTOCK, ...options.restock };
    const reconcile = options.reconcile && { ...DEFAULT_RECONCILE, ...options.reconcile };
    const policy = reservationPolicy(options.reservations);
    return {
      module: InventoryModule,
      imports: [
        ...(redisUrl ? [LockModule.forRoot({ url: redisUrl })] : []),
        ...(restock || reconcile
          ? [
              ScheduleModule.forRoot(),
              LeaderElectionModule.forRoot({
                group: 'inventory',
                // The registered instance id, so that operators see which instance leads.
                ...(options.instanceId ? { candidateId: options.instanceId } : {}),
                ...options.election,
                isGlobal: false,
              }),
            ]
          : []),
        DiscoveryModule.forRoot({ url: options.discoveryUrl }),
        MeshGrpcModule.forRoot({
          name: 'inventory',
          instanceId: options.instanceId,
          services: [InventoryServiceService],
          port: options.grpcPort,
          ...options.binding,
          descriptorSet,
          drainTimeoutMs: options.drainTimeoutMs,
          deregisterDelayMs: options.deregisterDelayMs,
        }),
      ],
      controllers: [InventoryController],
      providers: [
        { provide: RESERVATION_POLICY, useValue: policy },
        stockStoreProvider(redisUrl, options, policy),
        StockStoreCloser,
        ...(restock ? [{ provide: RESTOCK_OPTIONS, useValue: restock }, RestockJob] : []),
        ...(reconcile ? [{ provide: RECONCILE_OPTIONS, useValue: reconcile }, ReconcileJob] : []),
      ],
    };
  }
}

/** The reservation policy with its defaults; a TTL that is not a positive whole number of ms is refused. */
function reservationPolicy(given: Partial<ReservationPolicy> = {}): ReservationPolicy {
  const policy = { ...DEFAULT_RESERVATION_POLICY, ...given };
  if (!Number.isSafeInteger(policy.ttlMs) || policy.ttlMs < 1)
    throw new InvalidReservationError(
      `reservations.ttlMs must be a whole number of ms ≥ 1, got ${policy.ttlMs}`,
    );
  return policy;
}

function stockStoreProvider(
  redisUrl: string | undefined,
  options: InventoryOptions,
  policy: ReservationPolicy,
): Provider {
  const seed = options.seed ?? DEMO_SEED;
  if (!redisUrl) {
    return {
      provide: StockStore,
      useFactory: () => MemoryStockStore.named(options.stockStore ?? 'default', seed, policy),
    };
  }
  return {
    provide: StockStore,
    inject: [LockService],
    useFactory: async (locks: LockService) => {
      const store = new RedisStockStore(redisUrl, locks, policy);
      await credentialsCheckedOrClosed(store);
      await store.seed(seed);
      return store;
    },
  };
}

/** Closes the store's connections after the gRPC server has drained. */
class StockStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(StockStore) private readonly store: StockStore & { close?(): Promise<void> }) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close?.();
  }
}
