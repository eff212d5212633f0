import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, HttpException, Injectable } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor, Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { GrpcAlreadyExistsException, RpcException } from '@nestjs/microservices';
import { Metadata, status as Status } from '@grpc/grpc-js';
import {
  InventoryServiceControllerMethods,
  type GetStockRequest,
  type GetStockResponse,
  type StockEvent,
} from '@nestmesh/contracts/inventory/v1';
import { concat, of, throwError, type Observable } from 'rxjs';

import { MAX_STATUS_DETAILS_LENGTH } from '../status/status-mapping.js';
import {
  callFailure as failure,
  RecordingLogger,
  startFixtureApp,
  type FixtureApp,
} from '../test-fixtures/fixture-app.js';
import { GrpcHandlerExplorer } from './grpc-handler.explorer.js';

const TRAILER = new Metadata();
TRAILER.set('x-retry-sku', 'B');

/** Each SKU selects an error shape a Nest user writes. */
@Controller()
@InventoryServiceControllerMethods()
class ThrowingController {
  getStock({ sku }: GetStockRequest): GetStockResponse | Observable<GetStockResponse> {
    const [shape, argument = ''] = sku.split(':');
    switch (shape) {
      case 'rpc-object':
        throw new RpcException({ code: Status.NOT_FOUND, message: `no SKU ${argument}` });
      case 'rpc-string':
        throw new RpcException('bare string');
      case 'rpc-details':
        throw new RpcException({
          code: Status.FAILED_PRECONDITION,
          message: 'm',
          details: 'd',
          metadata: TRAILER,
        });
      case 'rpc-observable':
        return throwError(() => new RpcException({ code: Status.UNAVAILABLE, message: 'try later' }));
      case 'grpc-exception':
        throw new GrpcAlreadyExistsException('duplicate');
      case 'http':
        throw new HttpException(`http ${argument}`, Number(argument));
      case 'echo':
        throw new RpcException({ code: Status.INVALID_ARGUMENT, message: `bad SKU ${argument}` });
      default:
        throw new Error('secret internal detail');
    }
  }
  reserveStock(): never {
    throw new Error('unused');
  }
  releaseReservation(): never {
    throw new Error('unused');
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

  watchStock(): Observable<StockEvent> {
    const event: StockEvent = { event: undefined, emittedAt: undefined };
    return concat(
      of(event),
      throwError(() => new RpcException({ code: Status.OUT_OF_RANGE, message: 'end' })),
    );
  }
}

/** Does nothing; it only makes every handler go through Nest's execution context. */
@Injectable()
class PassThroughInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle();
  }
}

const PATHS: { name: string; providers: Provider[]; direct: boolean }[] = [
  { name: 'called directly', providers: [], direct: true },
  {
    name: "through Nest's context (a global interceptor)",
    providers: [{ provide: APP_INTERCEPTOR, useClass: PassThroughInterceptor }],
    direct: false,
  },
];

for (const path of PATHS) {
  describe(
    `errors a handler throws reach the client with their status (${path.name})`,
    { timeout: 30_000 },
    () => {
      let fixture: FixtureApp;
      const logger = new RecordingLogger();
      before(async () => {
        fixture = await startFixtureApp({
          controller: ThrowingController,
          providers: path.providers,
          logger,
        });
      });
      after(() => fixture.app.close());
      const getStock = (sku: string) => failure(fixture.client.getStock({ sku }));

      it(`the handlers are ${path.direct ? '' : 'not '}on the direct path`, () => {
        const bindings = fixture.app.get(GrpcHandlerExplorer).explore();
        assert.ok(bindings.length > 0);
        assert.ok(bindings.every((binding) => binding.direct === path.direct));
      });

      it('RpcException({ code, message }) → that status and message', async () => {
        const error = await getStock('rpc-object:A-1');
        assert.equal(Status[error.status], 'NOT_FOUND');
        assert.equal(error.details, 'no SKU A-1');
      });

      it('RpcException("bare string") → UNKNOWN with the string, as on Nest\'s gRPC transport', async () => {
        const error = await getStock('rpc-string');
        assert.equal(Status[error.status], 'UNKNOWN');
        assert.equal(error.details, 'bare string');
      });

      it('RpcException({ code, message, details, metadata }) → details and trailers', async () => {
        const error = await getStock('rpc-details');
        assert.equal(Status[error.status], 'FAILED_PRECONDITION');
        assert.equal(error.details, 'd');
        assert.deepEqual(error.metadata.get('x-retry-sku'), ['B']);
      });

      it("an Observable that errors, and Nest's GrpcException family", async () => {
        assert.equal(Status[(await getStock('rpc-observable')).status], 'UNAVAILABLE');
        const duplicate = await getStock('grpc-exception');
        assert.equal(Status[duplicate.status], 'ALREADY_EXISTS');
        assert.equal(duplicate.details, 'duplicate');
      });

      it('HttpExceptions → their gRPC equivalents, with their messages', async () => {
        const expected: [number, string][] = [
          [400, 'INVALID_ARGUMENT'],
          [401, 'UNAUTHENTICATED'],
          [403, 'PERMISSION_DENIED'],
          [404, 'NOT_FOUND'],
          [409, 'ALREADY_EXISTS'],
          [429, 'RESOURCE_EXHAUSTED'],
          [501, 'UNIMPLEMENTED'],
          [503, 'UNAVAILABLE'],
          [504, 'DEADLINE_EXCEEDED'],
        ];
        for (const [http, status] of expected) {
          const error = await getStock(`http:${http}`);
          assert.equal(Status[error.status], status, `HTTP ${http}`);
          assert.equal(error.details, `http ${http}`);
        }
      });

      it('a message echoing a 10 kB input is cut to the bound', async () => {
        const error = await getStock(`echo:${'S'.repeat(10_000)}`);
        assert.equal(Status[error.status], 'INVALID_ARGUMENT');
        assert.ok(error.details.length <= MAX_STATUS_DETAILS_LENGTH, `${error.details.length} characters`);
      });

      it('an unknown error → INTERNAL "internal error", logged once with its stack, never sent', async () => {
        const error = await getStock('boom');
        assert.equal(Status[error.status], 'INTERNAL');
        assert.equal(error.details, 'internal error');
        assert.doesNotMatch(error.message, /secret/);
        assert.equal(logger.matching('error', 'secret internal detail').length, 1);
        assert.match(logger.matching('error', 'secret internal detail')[0], /GetStock failed: Error: secret/);
      });

      it('only unknown errors are logged', () => {
        const errors = logger.entries.filter((entry) => entry.level === 'error');
        assert.deepEqual(
          errors.map((entry) => entry.message.includes('secret internal detail')),
          errors.map(() => true),
        );
      });

      it('an RpcException in a server stream ends it with that status after the items sent', async () => {
        let received = 0;
        const error = await failure(
          (async () => {
            for await (const _event of fixture.client.watchStock({ skus: [] })) received++;
          })(),
        );
        assert.equal(received, 1);
        assert.equal(Status[error.status], 'OUT_OF_RANGE');
        assert.equal(error.details, 'end');
      });
    },
  );
}
