import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, UsePipes, ValidationPipe } from '@nestjs/common';
import type { PipeTransform } from '@nestjs/common';
import { APP_PIPE } from '@nestjs/core';
import { Payload } from '@nestjs/microservices';
import { status as Status } from '@grpc/grpc-js';
import {
  InventoryServiceControllerMethods,
  type GetStockRequest,
  type GetStockResponse,
  type ReserveStockRequest,
  type ReserveStockResponse,
  type StockEvent,
  type WatchStockRequest,
} from '@nestmesh/contracts/inventory/v1';
import { Allow, IsNotEmpty, IsString, Matches } from 'class-validator';
import { of, type Observable } from 'rxjs';

import { RpcError } from '../grpc.errors.js';
import { MAX_STATUS_DETAILS_LENGTH } from '../status/status-mapping.js';
import { startFixtureApp, type FixtureApp, type FixtureAppOptions } from '../test-fixtures/fixture-app.js';
import { GrpcHandlerExplorer } from './grpc-handler.explorer.js';

/** Appends its tag to a request's `sku` and `skus`, so the response shows which pipes ran. */
class MarkPipe implements PipeTransform {
  constructor(private readonly tag: string) {}
  transform(value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    const request = value as { sku?: unknown; skus?: unknown };
    if (typeof request.sku === 'string') return { ...request, sku: `${request.sku}+${this.tag}` };
    if (Array.isArray(request.skus))
      return { ...request, skus: request.skus.map((sku) => `${sku}+${this.tag}`) };
    return value;
  }
}

class ReserveStockBody implements ReserveStockRequest {
  @IsString() @IsNotEmpty() orderId!: string;
  @Matches(/^[A-Z0-9-]{1,32}$/, { message: 'sku $value is not a SKU' }) sku!: string;
  @Allow() quantity!: bigint;
}

function stockOf(sku: string) {
  return { sku, available: 1n, reserved: 0n, version: 1n, updatedAt: undefined };
}

@Controller()
@InventoryServiceControllerMethods()
class PipedController {
  /** ts-proto style, no parameter decorator: only global pipes apply, to the request. */
  getStock(request: GetStockRequest): GetStockResponse {
    return { stock: stockOf(request.sku), servedBy: '' };
  }

  reserveStock(@Payload(new MarkPipe('param')) request: ReserveStockBody): ReserveStockResponse {
    return { reservation: undefined, stock: stockOf(request.sku) };
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

  @UsePipes(new MarkPipe('method'))
  watchStock(request: WatchStockRequest): Observable<StockEvent> {
    return of({
      event: { $case: 'snapshot', snapshot: stockOf(request.skus.join(',')) },
      emittedAt: undefined,
    });
  }
}

async function start(options: Omit<FixtureAppOptions, 'controller'>): Promise<FixtureApp> {
  return startFixtureApp({ controller: PipedController, ...options });
}

async function streamedSku(fixture: FixtureApp, skus: string[]): Promise<string> {
  for await (const event of fixture.client.watchStock({ skus })) {
    if (event.event?.$case === 'snapshot') return event.event.snapshot.sku;
  }
  return assert.fail('no snapshot');
}

function directMethods(fixture: FixtureApp): string[] {
  const bindings = fixture.app.get(GrpcHandlerExplorer).explore();
  return bindings.filter((binding) => binding.direct).map((binding) => binding.method);
}

describe('pipes on gRPC handlers', { timeout: 60_000 }, () => {
  describe('scoped pipes, no global ones', () => {
    let fixture: FixtureApp;
    before(async () => (fixture = await start({})));
    after(() => fixture.app.close());

    it('a param pipe on @Payload() and @UsePipes on the method run on the request', async () => {
      assert.equal(
        (await fixture.client.reserveStock({ orderId: 'o', sku: 'b', quantity: 1n })).stock?.sku,
        'b+param',
      );
      assert.equal(await streamedSku(fixture, ['c']), 'c+method');
    });

    it('a method without enhancers stays on the direct path; the others do not', async () => {
      assert.equal((await fixture.client.getStock({ sku: 'a' })).stock?.sku, 'a');
      assert.deepEqual(directMethods(fixture).sort(), [
        'confirmReservations',
        'followStock',
        'getStock',
        'importStock',
        'releaseReservation',
      ]);
    });
  });

  describe('an APP_PIPE provider', () => {
    let fixture: FixtureApp;
    before(async () => {
      fixture = await start({ providers: [{ provide: APP_PIPE, useFactory: () => new MarkPipe('app') }] });
    });
    after(() => fixture.app.close());

    it('runs on the request of an undecorated handler, then scoped pipes run', async () => {
      assert.equal((await fixture.client.getStock({ sku: 'a' })).stock?.sku, 'a+app');
      assert.equal(
        (await fixture.client.reserveStock({ orderId: 'o', sku: 'b', quantity: 1n })).stock?.sku,
        'b+app+param',
      );
      assert.equal(await streamedSku(fixture, ['c']), 'c+app+method');
      assert.deepEqual(directMethods(fixture), [], 'no handler skips a global pipe');
    });
  });

  describe('app.useGlobalPipes()', () => {
    let fixture: FixtureApp;
    before(async () => {
      fixture = await start({ configure: (app) => app.useGlobalPipes(new MarkPipe('global')) });
    });
    after(() => fixture.app.close());

    it('runs on the request of every handler', async () => {
      assert.equal((await fixture.client.getStock({ sku: 'a' })).stock?.sku, 'a+global');
      assert.equal(await streamedSku(fixture, ['c']), 'c+global+method');
      assert.deepEqual(directMethods(fixture), []);
    });
  });

  describe('a global ValidationPipe', () => {
    let fixture: FixtureApp;
    before(async () => {
      fixture = await start({ providers: [{ provide: APP_PIPE, useFactory: () => new ValidationPipe() }] });
    });
    after(() => fixture.app.close());

    it('lets a valid request through', async () => {
      const response = await fixture.client.reserveStock({ orderId: 'o-1', sku: 'A-1', quantity: 2n });
      assert.equal(response.stock?.sku, 'A-1+param');
    });

    it('answers INVALID_ARGUMENT with every field message', async () => {
      const error = await fixture.client
        .reserveStock({ orderId: '', sku: 'not a sku', quantity: 2n })
        .catch((error: unknown) => error);
      assert.ok(error instanceof RpcError, String(error));
      assert.equal(Status[error.status], 'INVALID_ARGUMENT');
      assert.match(error.details, /orderId should not be empty/);
      assert.match(error.details, /sku not a sku is not a SKU/);
    });

    it('does not echo a 10 kB field back', async () => {
      const error = await fixture.client
        .reserveStock({ orderId: 'o', sku: 'x'.repeat(10_000), quantity: 2n })
        .catch((error: unknown) => error);
      assert.ok(error instanceof RpcError, String(error));
      assert.equal(Status[error.status], 'INVALID_ARGUMENT');
      assert.ok(error.details.length <= MAX_STATUS_DETAILS_LENGTH, `${error.details.length} characters`);
    });
  });
});
