import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import type { INestApplicationContext } from '@nestjs/common';
import {
  InventoryServiceControllerMethods,
  InventoryServiceService,
  type ReserveStockRequest,
} from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule } from '@nestmesh/discovery';
import { invalidArgument, MeshGrpcModule, RpcError, Status } from '@nestmesh/grpc';
import { configureHttp, OrderModule } from '@nestmesh/order';
import { startContext, startHttpApp } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';

import { postJson } from './support/embedded-cluster.js';

const RETRY_DELAY_MS = 1200;

/**
 * An inventory whose ReserveStock fails with the rich details the SKU names: the real order
 * edge reaches it over gRPC through discovery, so what the HTTP client sees went through the
 * grpc-status-details-bin trailer. (Inventory itself never sends these today; the failures are
 * injected server-side, nothing in the order service or its client is faked.)
 */
@Controller()
@InventoryServiceControllerMethods()
class RichFailureInventory {
  reserveStock({ sku }: ReserveStockRequest): never {
    if (sku === 'BAD-1') {
      throw invalidArgument('reservation refused', [
        { field: 'sku', description: 'sku BAD-1 is not sold in this region' },
      ]);
    }
    throw new RpcError(Status.UNAVAILABLE, 'inventory is shedding load', {
      errorInfo: { reason: 'INVENTORY_OVERLOADED', domain: 'inventory.nestmesh.dev' },
      retryInfo: { retryDelayMs: RETRY_DELAY_MS },
    });
  }
  getStock(): never {
    throw new RpcError(Status.UNIMPLEMENTED, 'not in this test');
  }
  releaseReservation(): never {
    throw new RpcError(Status.UNIMPLEMENTED, 'not in this test');
  }
  importStock(): never {
    throw new RpcError(Status.UNIMPLEMENTED, 'not in this test');
  }
  followStock(): never {
    throw new RpcError(Status.UNIMPLEMENTED, 'not in this test');
  }
  confirmReservations(): never {
    throw new RpcError(Status.UNIMPLEMENTED, 'not in this test');
  }
  watchStock(): never {
    throw new RpcError(Status.UNIMPLEMENTED, 'not in this test');
  }
}

@Module({})
class RichFailureInventoryModule {
  static forRoot(discoveryUrl: string): DynamicModule {
    return {
      module: RichFailureInventoryModule,
      imports: [
        DiscoveryModule.forRoot({ url: discoveryUrl }),
        MeshGrpcModule.forRoot({ name: 'inventory', services: [InventoryServiceService] }),
      ],
      controllers: [RichFailureInventory],
    };
  }
}

describe(
  'rich errors from inventory reach the HTTP client through the order edge',
  { timeout: 60_000 },
  () => {
    let inventory: INestApplicationContext | undefined;
    let order: INestApplication | undefined;
    let url: string;

    before(async () => {
      const registry = `memory://${randomUUID()}`;
      inventory = await startContext(RichFailureInventoryModule.forRoot(registry));
      const http = await startHttpApp(OrderModule.forRoot({ discoveryUrl: registry }), configureHttp);
      order = http.app;
      url = http.url;
    });
    after(async () => {
      await Promise.allSettled([order?.close()]);
      await inventory?.close();
    });

    it('a google.rpc.BadRequest is a 400 problem naming the field', async () => {
      const { status, body } = await postJson(`${url}/orders`, { items: [{ sku: 'BAD-1', quantity: 1 }] });
      assert.equal(status, 400);
      assert.equal(body.code, 'INVALID_ARGUMENT');
      assert.deepEqual(body.errors, [{ field: 'sku', detail: 'sku BAD-1 is not sold in this region' }]);
    });

    it('RetryInfo is Retry-After in whole seconds, rounded up; ErrorInfo.reason is the code', async () => {
      const response = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ sku: 'BUSY-1', quantity: 1 }] }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('retry-after'), String(Math.ceil(RETRY_DELAY_MS / 1000)));
      assert.equal(body.code, 'INVENTORY_OVERLOADED');
      assert.equal(body.errors, undefined);
    });
  },
);
