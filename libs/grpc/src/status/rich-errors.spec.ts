import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller } from '@nestjs/common';
import { Metadata, status as Status } from '@grpc/grpc-js';
import {
  InventoryServiceControllerMethods,
  type GetStockRequest,
  type GetStockResponse,
} from '@nestmesh/contracts/inventory/v1';
import { getProtoPath, loadSync } from 'google-proto-files';

import { InvalidErrorDetailsError, RpcError } from '../grpc.errors.js';
import { callFailure, startFixtureApp, type FixtureApp } from '../test-fixtures/fixture-app.js';
import { fieldViolationsOf, invalidArgument } from './bad-request.details.js';
import { problemOf } from './http-problem.js';
import { decodeStatusDetails, STATUS_DETAILS_KEY, type RichErrorDetails } from './status-details.js';

const ERROR_INFO = { reason: 'STOCK_EXHAUSTED', domain: 'inventory.nestmesh.dev', metadata: { sku: 'A-1' } };
const RETRY_INFO = { retryDelayMs: 1500 };
const BAD_REQUEST = {
  fieldViolations: [
    { field: 'sku', description: 'sku must be 1-64 letters — ünïcode' },
    { field: 'quantity', description: 'quantity must not be less than 1' },
  ],
};

/** googleapis' protos loaded by protobufjs: an implementation independent of ts-proto's codecs. */
const googleRpc = loadSync(getProtoPath('rpc', 'status.proto')).loadSync(
  getProtoPath('rpc', 'error_details.proto'),
);

/** Each SKU selects the details the handler fails with. */
@Controller()
@InventoryServiceControllerMethods()
class RichErrorController {
  getStock({ sku }: GetStockRequest): GetStockResponse {
    switch (sku) {
      case 'error-info':
        throw new RpcError(Status.FAILED_PRECONDITION, 'no stock', { errorInfo: ERROR_INFO });
      case 'retry-info':
        throw new RpcError(Status.UNAVAILABLE, 'busy', { retryInfo: RETRY_INFO });
      case 'bad-request':
        throw new RpcError(Status.INVALID_ARGUMENT, 'bad', { badRequest: BAD_REQUEST });
      case 'all':
        throw new RpcError(Status.RESOURCE_EXHAUSTED, 'all three', {
          errorInfo: ERROR_INFO,
          retryInfo: RETRY_INFO,
          badRequest: BAD_REQUEST,
        });
      case 'domain-violations':
        // A domain error as apps write them (no gRPC import): a status name and its bad fields.
        throw Object.assign(new Error('invalid order'), {
          code: 'INVALID_ARGUMENT',
          violations: [...BAD_REQUEST.fieldViolations, { field: 'f'.repeat(500), description: 'long' }],
        });
      case 'malformed': {
        const metadata = new Metadata();
        metadata.set(STATUS_DETAILS_KEY, Buffer.from([0x1a, 0x7f, 0x0a, 0x03])); // a length past the end
        throw new RpcError(Status.NOT_FOUND, 'no such SKU', { metadata });
      }
      default:
        return { stock: undefined, servedBy: 'rich-errors' };
    }
  }
  reserveStock(): never {
    throw new Error('not used by this test');
  }
  releaseReservation(): never {
    throw new Error('not used by this test');
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
  watchStock(): never {
    throw new Error('not used by this test');
  }
}

describe('rich errors: google.rpc.Status details over real gRPC', { timeout: 60_000 }, () => {
  let fixture: FixtureApp;

  before(async () => {
    fixture = await startFixtureApp({ controller: RichErrorController });
  });
  after(async () => {
    await fixture?.app.close();
  });

  const failure = (sku: string) => callFailure(fixture.client.getStock({ sku }));

  it('ErrorInfo (reason, domain, metadata) reaches the client', async () => {
    const error = await failure('error-info');
    assert.equal(error.status, Status.FAILED_PRECONDITION);
    assert.equal(error.details, 'no stock');
    assert.deepEqual(error.richDetails, { errorInfo: ERROR_INFO });
  });

  it('RetryInfo reaches the client as retryDelayMs', async () => {
    const error = await failure('retry-info');
    assert.equal(error.status, Status.UNAVAILABLE);
    assert.deepEqual(error.richDetails, { retryInfo: RETRY_INFO });
  });

  it('BadRequest reaches the client; fieldViolationsOf reads the same', async () => {
    const error = await failure('bad-request');
    assert.deepEqual(error.richDetails, { badRequest: BAD_REQUEST });
    assert.deepEqual(fieldViolationsOf(error.metadata), BAD_REQUEST.fieldViolations);
  });

  it("a domain error's `violations` are its BadRequest (bounded), with no gRPC code in the app", async () => {
    const error = await failure('domain-violations');
    assert.equal(error.status, Status.INVALID_ARGUMENT);
    const violations = error.richDetails.badRequest?.fieldViolations ?? [];
    assert.deepEqual(violations.slice(0, 2), BAD_REQUEST.fieldViolations);
    assert.equal(violations[2]?.field, `${'f'.repeat(120)}…`, 'a long field path is cut');
  });

  it('the trailer is the google.rpc.Status any implementation reads (protobufjs on googleapis protos)', async () => {
    const error = await failure('all');
    const [trailer] = error.metadata.get(STATUS_DETAILS_KEY);
    assert.ok(Buffer.isBuffer(trailer));
    const StatusType = googleRpc.lookupType('google.rpc.Status');
    const status = StatusType.toObject(StatusType.decode(trailer), { longs: String }) as {
      code: number;
      message: string;
      details: { type_url: string; value: Uint8Array }[];
    };
    assert.equal(status.code, Status.RESOURCE_EXHAUSTED, 'the same code as grpc-status');
    assert.equal(status.message, 'all three');
    assert.deepEqual(
      status.details.map((detail) => detail.type_url),
      [
        'type.googleapis.com/google.rpc.ErrorInfo',
        'type.googleapis.com/google.rpc.RetryInfo',
        'type.googleapis.com/google.rpc.BadRequest',
      ],
    );
    const [errorInfo, retryInfo, badRequest] = status.details.map(({ type_url, value }) => {
      const type = googleRpc.lookupType(type_url.slice(type_url.lastIndexOf('/') + 1));
      return type.toObject(type.decode(value), { longs: String });
    });
    assert.deepEqual(errorInfo, ERROR_INFO);
    assert.deepEqual(retryInfo, { retryDelay: { seconds: '1', nanos: 500_000_000 } });
    assert.deepEqual(badRequest, { fieldViolations: BAD_REQUEST.fieldViolations });
  });

  it('a malformed grpc-status-details-bin leaves the error typed, with no details', async () => {
    const error = await failure('malformed');
    assert.ok(error instanceof RpcError);
    assert.equal(error.status, Status.NOT_FOUND);
    assert.equal(error.details, 'no such SKU');
    assert.deepEqual(error.richDetails, {});
    assert.deepEqual(fieldViolationsOf(error.metadata), []);
  });
});

describe('rich errors: codecs', () => {
  it('reads details another implementation wrote, ignoring types it does not know', () => {
    const StatusType = googleRpc.lookupType('google.rpc.Status');
    const any = (name: string, fields: object) => ({
      type_url: `type.googleapis.com/google.rpc.${name}`,
      value: googleRpc.lookupType(`google.rpc.${name}`).encode(fields).finish(),
    });
    const bytes = StatusType.encode({
      code: Status.UNAVAILABLE,
      message: 'from elsewhere',
      details: [
        any('DebugInfo', { detail: 'ignored' }),
        any('RetryInfo', { retryDelay: { seconds: 2, nanos: 250_000_000 } }),
        any('ErrorInfo', { reason: 'OVERLOADED', domain: 'example.com' }),
      ],
    }).finish();
    const metadata = new Metadata();
    metadata.set(STATUS_DETAILS_KEY, Buffer.from(bytes));
    const expected: RichErrorDetails = {
      retryInfo: { retryDelayMs: 2250 },
      errorInfo: { reason: 'OVERLOADED', domain: 'example.com', metadata: {} },
    };
    assert.deepEqual(decodeStatusDetails(metadata), expected);
  });

  it('no trailer, a text value or random bytes decode as no details', () => {
    assert.deepEqual(decodeStatusDetails(undefined), {});
    assert.deepEqual(decodeStatusDetails(new Metadata()), {});
    const garbage = new Metadata();
    garbage.set(
      STATUS_DETAILS_KEY,
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
    assert.deepEqual(decodeStatusDetails(garbage), {});
  });

  it('details that cannot be sent are refused where the error is built', () => {
    assert.throws(
      () => new RpcError(Status.ABORTED, 'x', { errorInfo: { reason: '', domain: 'example.com' } }),
      (error) => error instanceof InvalidErrorDetailsError && /reason and domain/.test(error.message),
    );
    for (const retryDelayMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => new RpcError(Status.UNAVAILABLE, 'x', { retryInfo: { retryDelayMs } }),
        InvalidErrorDetailsError,
      );
    }
  });

  it('an error without details sends no trailer and reads as none', () => {
    const error = new RpcError(Status.NOT_FOUND, 'plain');
    assert.deepEqual(error.metadata.get(STATUS_DETAILS_KEY), []);
    assert.deepEqual(error.richDetails, {});
  });
});

describe('rich errors at the HTTP edge (problemOf)', () => {
  const request = { method: 'POST', path: '/orders', route: {} };

  it('RetryInfo is Retry-After in whole seconds, never earlier than asked', () => {
    for (const [retryDelayMs, seconds] of [
      [0, 0],
      [1, 1],
      [1000, 1],
      [1001, 2],
      [2500, 3],
    ]) {
      const error = new RpcError(Status.UNAVAILABLE, 'busy', { retryInfo: { retryDelayMs } });
      assert.equal(problemOf(error, request).retryAfterSeconds, seconds, `${retryDelayMs} ms`);
    }
    assert.equal(problemOf(new RpcError(Status.UNAVAILABLE, 'busy'), request).retryAfterSeconds, undefined);
  });

  it('ErrorInfo.reason is the code, and can pick the HTTP status through httpStatuses', () => {
    const error = new RpcError(Status.FAILED_PRECONDITION, 'no stock', { errorInfo: ERROR_INFO });
    const { problem } = problemOf(error, request, { httpStatuses: { STOCK_EXHAUSTED: 422 } });
    assert.equal(problem.code, 'STOCK_EXHAUSTED');
    assert.equal(problem.status, 422);
    assert.equal(
      problemOf(new RpcError(Status.FAILED_PRECONDITION, 'x'), request).problem.code,
      'FAILED_PRECONDITION',
    );
  });

  it('BadRequest is a 400 whose errors name the fields', () => {
    const { problem } = problemOf(invalidArgument('bad', BAD_REQUEST.fieldViolations), request);
    assert.equal(problem.status, 400);
    assert.deepEqual(
      problem.errors,
      BAD_REQUEST.fieldViolations.map(({ field, description }) => ({ field, detail: description })),
    );
  });
});
