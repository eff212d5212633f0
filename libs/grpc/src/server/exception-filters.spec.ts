import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Catch, Controller, UseFilters, UseGuards } from '@nestjs/common';
import type { ArgumentsHost, CanActivate, RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { status as Status } from '@grpc/grpc-js';
import {
  InventoryServiceControllerMethods,
  type GetStockRequest,
  type GetStockResponse,
  type StockEvent,
} from '@nestmesh/contracts/inventory/v1';
import { concat, of, throwError, type Observable } from 'rxjs';

import {
  callFailure as failure,
  RecordingLogger,
  startFixtureApp,
  type FixtureApp,
} from '../test-fixtures/fixture-app.js';

class Tagged extends Error {}
class RecoverMe extends Error {}
class BreakMe extends Error {}
/** A domain error (NOT_FOUND by its code) whose filter answers nothing. */
class SilentMe extends Error {
  readonly code = 'NOT_FOUND';
}

const messageOf = (exception: unknown) =>
  exception instanceof Error ? exception.message : String(exception);

/** Answers every exception it catches with ABORTED "<tag>: <message>". */
@Catch()
class TagFilter implements RpcExceptionFilter {
  constructor(private readonly tag: string) {}
  catch(exception: unknown): Observable<never> {
    return throwError(
      () => new RpcException({ code: Status.ABORTED, message: `${this.tag}: ${messageOf(exception)}` }),
    );
  }
}
@Catch(Tagged)
class TaggedFilter extends TagFilter {}

@Catch(RecoverMe)
class RecoverFilter implements RpcExceptionFilter {
  catch(_exception: RecoverMe, host: ArgumentsHost): Observable<GetStockResponse> {
    assert.equal(host.getType(), 'rpc');
    const { sku } = host.switchToRpc().getData<GetStockRequest>();
    return of({ stock: undefined, servedBy: `recovered ${sku}` });
  }
}

@Catch(SilentMe)
class SilentFilter {
  catch(): void {}
}

@Catch(BreakMe)
class BreakingFilter {
  catch(_exception: unknown, host: ArgumentsHost): void {
    // What an HTTP filter does; on gRPC the "response" is the call's Metadata.
    host.switchToHttp().getResponse<{ status(code: number): void }>().status(500);
  }
}

@Catch(RpcException)
class SeenFilter implements RpcExceptionFilter<RpcException> {
  catch(exception: RpcException): Observable<never> {
    return throwError(
      () => new RpcException({ code: Status.PERMISSION_DENIED, message: `seen: ${exception.message}` }),
    );
  }
}

class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Controller()
@InventoryServiceControllerMethods()
@UseFilters(new TaggedFilter('class'))
class ScopedController {
  @UseFilters(new TaggedFilter('method'), new RecoverFilter(), new SilentFilter(), new BreakingFilter())
  getStock({ sku }: GetStockRequest): GetStockResponse {
    switch (sku) {
      case 'tagged':
        throw new Tagged('from getStock');
      case 'recover':
        throw new RecoverMe();
      case 'silent':
        throw new SilentMe('no such SKU');
      case 'break':
        throw new BreakMe();
      case 'rpc':
        throw new RpcException({ code: Status.NOT_FOUND, message: 'no filter matches' });
      default:
        throw new Error('secret internal detail');
    }
  }
  reserveStock(): never {
    throw new Tagged('from reserveStock');
  }
  @UseGuards(DenyGuard)
  @UseFilters(new SeenFilter())
  releaseReservation(): never {
    throw new Error('unreachable');
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
    return concat(
      of({ event: undefined, emittedAt: undefined }),
      throwError(() => new Tagged('mid-stream')),
    );
  }
}

describe('exception filters on gRPC handlers', { timeout: 60_000 }, () => {
  describe('@UseFilters on the method and the class', () => {
    let fixture: FixtureApp;
    const logger = new RecordingLogger();
    before(async () => (fixture = await startFixtureApp({ controller: ScopedController, logger })));
    after(() => fixture.app.close());
    const getStock = (sku: string) => failure(fixture.client.getStock({ sku }));

    it("the method's filter answers first; the class's covers the other methods and streams", async () => {
      const tagged = await getStock('tagged');
      assert.equal(Status[tagged.status], 'ABORTED');
      assert.equal(tagged.details, 'method: from getStock');
      const reserve = await failure(fixture.client.reserveStock({ orderId: 'o', sku: 's', quantity: 1n }));
      assert.equal(reserve.details, 'class: from reserveStock');
      let items = 0;
      const stream = await failure(
        (async () => {
          for await (const _event of fixture.client.watchStock({ skus: [] })) items++;
        })(),
      );
      assert.equal(items, 1);
      assert.equal(Status[stream.status], 'ABORTED');
      assert.equal(stream.details, 'class: mid-stream');
    });

    it('a filter that emits a value recovers: the value is the response', async () => {
      assert.equal((await fixture.client.getStock({ sku: 'recover' })).servedBy, 'recovered recover');
    });

    it('a filter that answers nothing leaves the original status, with one warning', async () => {
      for (let call = 0; call < 2; call++) {
        const error = await getStock('silent');
        assert.equal(Status[error.status], 'NOT_FOUND');
        assert.equal(error.details, 'no such SKU');
      }
      assert.equal(logger.matching('warn', 'GetStock returned neither an Observable').length, 1);
    });

    it('a filter that throws is an unexpected error: INTERNAL, logged', async () => {
      const error = await getStock('break');
      assert.equal(Status[error.status], 'INTERNAL');
      assert.equal(logger.matching('error', 'is not a function').length, 1);
    });

    it('an exception no filter catches gets the default mapping', async () => {
      assert.equal(Status[(await getStock('rpc')).status], 'NOT_FOUND');
      assert.equal((await getStock('boom')).details, 'internal error');
    });

    it("a guard's refusal is an RpcException filters see, PERMISSION_DENIED by default", async () => {
      const error = await failure(
        fixture.client.releaseReservation({ target: { $case: 'orderId', orderId: 'o' } }),
      );
      assert.equal(Status[error.status], 'PERMISSION_DENIED');
      assert.equal(error.details, 'seen: Forbidden resource');
    });
  });
});
