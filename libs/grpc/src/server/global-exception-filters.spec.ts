import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Catch, Controller, Injectable, UseFilters } from '@nestjs/common';
import type { ArgumentsHost, RpcExceptionFilter } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { BaseRpcExceptionFilter, GrpcExceptionFilter, RpcException } from '@nestjs/microservices';
import { status as Status, type Metadata } from '@grpc/grpc-js';
import {
  InventoryServiceControllerMethods,
  type GetStockRequest,
  type GetStockResponse,
  type WatchStockRequest,
} from '@nestmesh/contracts/inventory/v1';
import { throwError, type Observable } from 'rxjs';

import { callFailure as failure, startFixtureApp, type FixtureApp } from '../test-fixtures/fixture-app.js';
import { FixtureLog } from '../test-fixtures/fixture-inventory.js';

const messageOf = (exception: unknown) =>
  exception instanceof Error ? exception.message : String(exception);

/** Answers every exception with ABORTED "global: <message>". */
@Catch()
class GlobalFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(
      () => new RpcException({ code: Status.ABORTED, message: `global: ${messageOf(exception)}` }),
    );
  }
}

/** Throws an RpcException for SKU "rpc", an unexpected error otherwise. */
@Controller()
@InventoryServiceControllerMethods()
class PlainController {
  getStock({ sku }: GetStockRequest, metadata: Metadata): GetStockResponse {
    assert.ok(metadata, 'metadata is still the second argument');
    if (sku === 'rpc') throw new RpcException({ code: Status.NOT_FOUND, message: 'no SKU rpc' });
    throw new Error('secret internal detail');
  }
  reserveStock(): never {
    throw new Error('secret internal detail');
  }
  releaseReservation(): never {
    throw new Error('secret internal detail');
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

  @UseFilters(new GrpcExceptionFilter())
  watchStock({ skus }: WatchStockRequest): never {
    if (skus[0] === 'rpc') throw new RpcException({ code: Status.NOT_FOUND, message: 'no SKU rpc' });
    throw new Error('secret internal detail');
  }
}

/** An APP_FILTER with a dependency, answering as Nest's GrpcExceptionFilter does: a plain { code, message }. */
@Injectable()
@Catch()
class AppFilter implements RpcExceptionFilter {
  constructor(private readonly log: FixtureLog) {}
  catch(exception: unknown): Observable<never> {
    this.log.requests.push('filtered');
    return throwError(() => ({ code: Status.DATA_LOSS, message: `app: ${messageOf(exception)}` }));
  }
}

/** The filter Nest's docs show for microservices. */
@Catch()
class AllExceptionsFilter extends BaseRpcExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<unknown> {
    return super.catch(exception, host);
  }
}

describe('global exception filters on gRPC handlers', { timeout: 60_000 }, () => {
  describe('an APP_FILTER provider', () => {
    let fixture: FixtureApp;
    before(async () => {
      fixture = await startFixtureApp({
        controller: PlainController,
        providers: [{ provide: APP_FILTER, useClass: AppFilter }],
      });
    });
    after(() => fixture.app.close());

    it("is resolved with its dependencies and catches every handler's errors", async () => {
      const error = await failure(fixture.client.getStock({ sku: 'x' }));
      assert.equal(Status[error.status], 'DATA_LOSS');
      assert.equal(error.details, 'app: secret internal detail');
      assert.deepEqual(fixture.app.get(FixtureLog).requests, ['filtered']);
    });
  });

  describe('app.useGlobalFilters()', () => {
    let fixture: FixtureApp;
    before(async () => {
      fixture = await startFixtureApp({
        controller: PlainController,
        configure: (app) => app.useGlobalFilters(new GlobalFilter()),
      });
    });
    after(() => fixture.app.close());

    it('catches the errors of gRPC handlers', async () => {
      const error = await failure(fixture.client.reserveStock({ orderId: 'o', sku: 's', quantity: 1n }));
      assert.equal(Status[error.status], 'ABORTED');
      assert.equal(error.details, 'global: secret internal detail');
    });
  });

  describe("Nest's own RPC filters", () => {
    let fixture: FixtureApp;
    before(async () => {
      fixture = await startFixtureApp({
        controller: PlainController,
        providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
      });
    });
    after(() => fixture.app.close());

    it("BaseRpcExceptionFilter: an RpcException keeps its status, anything else is Nest's UNKNOWN", async () => {
      assert.equal(Status[(await failure(fixture.client.getStock({ sku: 'rpc' }))).status], 'NOT_FOUND');
      const unknown = await failure(fixture.client.getStock({ sku: 'x' }));
      assert.equal(Status[unknown.status], 'UNKNOWN');
      assert.equal(unknown.details, 'Internal server error');
    });

    it('GrpcExceptionFilter, as Nest 12 ships it: the same answers', async () => {
      const stream = async (skus: string[]) => {
        for await (const _event of fixture.client.watchStock({ skus })) assert.fail('no event expected');
      };
      assert.equal(Status[(await failure(stream(['rpc']))).status], 'NOT_FOUND');
      const unknown = await failure(stream(['x']));
      assert.equal(Status[unknown.status], 'UNKNOWN');
      assert.equal(unknown.details, 'Internal server error');
    });
  });
});
