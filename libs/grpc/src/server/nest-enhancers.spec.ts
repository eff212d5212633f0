import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Controller, Injectable, UseGuards, UseInterceptors, createParamDecorator } from '@nestjs/common';
import type {
  CallHandler,
  CanActivate,
  ExecutionContext,
  INestApplicationContext,
  NestInterceptor,
} from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { status as Status, type Metadata } from '@grpc/grpc-js';
import {
  InventoryServiceControllerMethods,
  InventoryServiceService,
  type GetStockRequest,
  type GetStockResponse,
  type ReserveStockRequest,
  type ReserveStockResponse,
  type StockEvent,
  type WatchStockRequest,
} from '@nestmesh/contracts/inventory/v1';
import { startContext, waitFor } from '@nestmesh/testing';
import { map, of, type Observable } from 'rxjs';

import { meshClientToken } from '../client/mesh-client.module.js';
import type { MeshClient } from '../client/typed-client.js';
import { RpcError } from '../grpc.errors.js';
import { startFixtureApp, type FixtureApp } from '../test-fixtures/fixture-app.js';
import { FixtureModule } from '../test-fixtures/fixture-inventory.js';
import { callSignal, type CancellableCall } from './call-signal.js';

/** Lets a call through only when it carries `x-allow: yes`; sees the gRPC metadata as RPC context. */
@Injectable()
class MetadataGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    assert.equal(context.getType(), 'rpc');
    return context.switchToRpc().getContext<Metadata>().get('x-allow')[0] === 'yes';
  }
}

/** Doubles the available stock in a ReserveStock response. */
@Injectable()
class DoubleInterceptor implements NestInterceptor {
  intercept(
    _context: ExecutionContext,
    next: CallHandler<ReserveStockResponse>,
  ): Observable<ReserveStockResponse> {
    return next
      .handle()
      .pipe(
        map((value) => ({ ...value, stock: { ...value.stock!, available: value.stock!.available * 2n } })),
      );
  }
}

/** Stamps each streamed StockEvent. */
@Injectable()
class StampInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler<StockEvent>): Observable<StockEvent> {
    return next.handle().pipe(map((value) => ({ ...value, emittedAt: STAMP })));
  }
}

const STAMP = new Date(Date.UTC(2026, 0, 1));

@Controller()
@InventoryServiceControllerMethods()
class EnhancedController {
  @UseGuards(MetadataGuard)
  getStock({ sku }: GetStockRequest): GetStockResponse {
    return {
      stock: { sku, available: 1n, reserved: 0n, version: 1n, updatedAt: new Date(0) },
      servedBy: 'handler',
    };
  }

  @UseInterceptors(DoubleInterceptor)
  reserveStock(@Payload() request: ReserveStockRequest): ReserveStockResponse {
    return {
      reservation: undefined,
      stock: {
        sku: request.sku,
        available: request.quantity,
        reserved: 0n,
        version: 1n,
        updatedAt: undefined,
      },
    };
  }

  releaseReservation() {
    return { released: [] };
  }

  importStock(): never {
    throw new Error('not used by this test');
  }

  followStock(): never {
    throw new Error('not used by this test');
  }

  confirmReservations(): never {
    throw new Error('not used by this test');
  }

  @UseInterceptors(StampInterceptor)
  watchStock(): Observable<StockEvent> {
    return of({ event: undefined, emittedAt: undefined }, { event: undefined, emittedAt: undefined });
  }
}

describe('Nest enhancers on gRPC handlers', { timeout: 30_000 }, () => {
  let app: INestApplicationContext;
  let client: MeshClient<typeof InventoryServiceService>;
  before(async () => {
    const module = FixtureModule.forRoot({ registry: `memory://${randomUUID()}`, withoutController: true });
    module.controllers = [EnhancedController];
    module.providers = [...(module.providers ?? []), MetadataGuard, DoubleInterceptor, StampInterceptor];
    app = await startContext(module);
    client = app.get(meshClientToken(InventoryServiceService));
  });
  after(() => app.close());

  it('a guard sees the call metadata and its refusal is PERMISSION_DENIED', async () => {
    const { Metadata } = await import('@grpc/grpc-js');
    const allowed = new Metadata();
    allowed.set('x-allow', 'yes');
    assert.equal((await client.getStock({ sku: 'g' }, { metadata: allowed })).servedBy, 'handler');
    const refused = await client.getStock({ sku: 'g' }).catch((error: unknown) => error);
    assert.ok(refused instanceof RpcError);
    assert.equal(refused.status, Status.PERMISSION_DENIED);
  });

  it('an interceptor wraps a unary result, with @Payload() parameters', async () => {
    const response = await client.reserveStock({ orderId: 'o', sku: 'p', quantity: 42n });
    assert.equal(response.stock!.sku, 'p', 'the @Payload() parameter received the request');
    assert.equal(response.stock!.available, 84n, 'the interceptor doubled the handler result');
  });

  it('an interceptor sees each item of a server stream', async () => {
    let count = 0;
    for await (const event of client.watchStock({ skus: [] })) {
      count++;
      assert.equal(event.emittedAt?.getTime(), STAMP.getTime());
    }
    assert.equal(count, 2, 'the stream stays a stream through the interceptor');
  });
});

/** The grpc-js call, next to decorated parameters (Nest has no decorator for it). */
const GrpcCall = createParamDecorator((_data: unknown, context: ExecutionContext): unknown =>
  context.getArgByIndex(2),
);

/** A server stream written as an async generator, with an interceptor on it. */
@Controller()
@InventoryServiceControllerMethods()
class GeneratorController {
  finished = 0;
  getStock(@Payload() request: GetStockRequest, @GrpcCall() call: { getPath(): string }): GetStockResponse {
    return { stock: undefined, servedBy: `${request.sku} ${call.getPath()}` };
  }
  reserveStock(): ReserveStockResponse {
    return { reservation: undefined, stock: undefined };
  }
  releaseReservation() {
    return { released: [] };
  }

  importStock(): never {
    throw new Error('not used by this test');
  }

  followStock(): never {
    throw new Error('not used by this test');
  }

  confirmReservations(): never {
    throw new Error('not used by this test');
  }

  @UseInterceptors(StampInterceptor)
  async *watchStock(
    { skus }: WatchStockRequest,
    _metadata: Metadata,
    call: CancellableCall,
  ): AsyncGenerator<StockEvent> {
    try {
      for (let item = 0; skus.includes('forever') || item < 3; item++) {
        yield { event: undefined, emittedAt: undefined };
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (callSignal(call).aborted) return;
      }
    } finally {
      this.finished++;
    }
  }
}

describe('interceptors on a stream returned as an AsyncIterable', { timeout: 30_000 }, () => {
  let fixture: FixtureApp;
  before(async () => {
    fixture = await startFixtureApp({ controller: GeneratorController, providers: [StampInterceptor] });
  });
  after(() => fixture.app.close());

  it('see each item, and the stream carries every item', async () => {
    const stamps: (number | undefined)[] = [];
    for await (const event of fixture.client.watchStock({ skus: [] }))
      stamps.push(event.emittedAt?.getTime());
    assert.deepEqual(stamps, [STAMP.getTime(), STAMP.getTime(), STAMP.getTime()]);
  });

  it('a custom parameter decorator reaches the call next to @Payload()', async () => {
    const { servedBy } = await fixture.client.getStock({ sku: 'A-1' });
    assert.equal(servedBy, 'A-1 /inventory.v1.InventoryService/GetStock');
  });

  it('a client that stops reading ends the generator', async () => {
    const controller = fixture.app.get(GeneratorController);
    const before = controller.finished;
    for await (const event of fixture.client.watchStock({ skus: ['forever'] })) {
      assert.equal(event.emittedAt?.getTime(), STAMP.getTime());
      break;
    }
    await waitFor(() => controller.finished > before, { timeoutMs: 5_000 });
  });
});
