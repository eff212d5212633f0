import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BadRequestException,
  ConflictException,
  HttpException,
  NotFoundException,
  ValidationPipe,
} from '@nestjs/common';
import { GrpcNotFoundException, RpcException } from '@nestjs/microservices';
import { Metadata, status as Status } from '@grpc/grpc-js';
import { IsString, MaxLength } from 'class-validator';

import { RpcError } from '../grpc.errors.js';
import { grpcStatusOfHttpException } from './http-exception-status.js';
import { httpStatusOf } from './http-status.js';
import { MAX_STATUS_DETAILS_LENGTH, statusOf } from './status-mapping.js';

class Coded extends Error {
  constructor(readonly code: string) {
    super(`coded ${code}`);
  }
}

describe('error → gRPC status', { timeout: 10_000 }, () => {
  it('keeps the status of an RpcError and of a downstream ServiceError', () => {
    assert.equal(statusOf(new RpcError(Status.ABORTED, 'x')).code, Status.ABORTED);
    const downstream = Object.assign(new Error('5 NOT_FOUND: gone'), {
      code: Status.NOT_FOUND,
      details: 'gone',
      metadata: new Metadata(),
    });
    assert.deepEqual(statusOf(downstream), { code: Status.NOT_FOUND, details: 'gone', known: true });
  });

  it('maps a string code that is a status name, or one listed in the extra table', () => {
    assert.equal(statusOf(new Coded('FAILED_PRECONDITION')).code, Status.FAILED_PRECONDITION);
    assert.equal(statusOf(new Coded('LOCK_HELD'), { LOCK_HELD: Status.ABORTED }).code, Status.ABORTED);
    assert.equal(statusOf(new Coded('OK')).code, Status.INTERNAL, 'an error is never OK');
    assert.equal(statusOf(new Coded('LOCK_HELD')).code, Status.ABORTED, 'coordination: held lock');
    assert.equal(
      statusOf(new Coded('LOCK_UNAVAILABLE')).code,
      Status.UNAVAILABLE,
      'coordination: backend down',
    );
    assert.equal(statusOf(new Coded('REGISTRY_UNAVAILABLE')).code, Status.UNAVAILABLE);
  });

  it('maps the election codes: a follower is a failed precondition, a lost leadership an abort', () => {
    assert.equal(statusOf(new Coded('NOT_LEADER')).code, Status.FAILED_PRECONDITION, 'go to the leader');
    assert.equal(statusOf(new Coded('ELECTION_UNAVAILABLE')).code, Status.UNAVAILABLE, 'backend down');
    assert.equal(statusOf(new Coded('LEADERSHIP_LOST')).code, Status.ABORTED, 'lost mid-work');
  });

  it('maps Nest HTTP exceptions back to gRPC, with their messages', () => {
    const outcome = statusOf(new BadRequestException(['items must not be empty']));
    assert.equal(outcome.code, Status.INVALID_ARGUMENT);
    assert.equal(outcome.details, 'items must not be empty');
    assert.equal(statusOf(new NotFoundException()).code, Status.NOT_FOUND);
  });

  it("an error's numeric code is not a status: it belongs to another system", () => {
    const database = Object.assign(new Error('not authorized on orders to execute command'), { code: 13 });
    assert.deepEqual(statusOf(database), { code: Status.INTERNAL, details: 'internal error', known: false });
  });

  it('anything else is INTERNAL, marked unknown, with a generic message', () => {
    assert.deepEqual(statusOf(new Error('db password is hunter2')), {
      code: Status.INTERNAL,
      details: 'internal error',
      known: false,
    });
    assert.equal(statusOf('a string').code, Status.INTERNAL);
  });
});

class Grouped {
  @IsString() @MaxLength(3) sku!: string;
  @IsString() orderId!: string;
}

describe("Nest's exception shapes → gRPC status", { timeout: 10_000 }, () => {
  it("RpcException({ code, message }) is that status and message, as on Nest's gRPC transport", () => {
    const outcome = statusOf(new RpcException({ code: Status.NOT_FOUND, message: 'no SKU A' }));
    assert.deepEqual(outcome, {
      code: Status.NOT_FOUND,
      details: 'no SKU A',
      metadata: undefined,
      known: true,
    });
  });

  it('a string `details` wins over `message` (grpc-js reads it first); metadata becomes trailers', () => {
    const metadata = new Metadata();
    metadata.set('x-reason', 'stock');
    const outcome = statusOf(
      new RpcException({ code: Status.FAILED_PRECONDITION, message: 'm', details: 'd', metadata }),
    );
    assert.equal(outcome.code, Status.FAILED_PRECONDITION);
    assert.equal(outcome.details, 'd');
    assert.equal(outcome.metadata, metadata);
  });

  it('a bare string, or an object without a valid code, is UNKNOWN with its message', () => {
    assert.deepEqual(statusOf(new RpcException('out of stock')), {
      code: Status.UNKNOWN,
      details: 'out of stock',
      known: true,
    });
    assert.equal(statusOf(new RpcException({ message: 'no code' })).details, 'no code');
    for (const code of [0, 17, -1, 2.5, '5', 'OK', null]) {
      const outcome = statusOf(new RpcException({ code, message: 'bad code' }));
      assert.equal(outcome.code, Status.UNKNOWN, `code ${String(code)}`);
    }
  });

  it('a status name or a library code is accepted as an RpcException code', () => {
    assert.equal(statusOf(new RpcException({ code: 'NOT_FOUND', message: 'x' })).code, Status.NOT_FOUND);
    assert.equal(statusOf(new RpcException({ code: 'LOCK_HELD', message: 'x' })).code, Status.ABORTED);
    assert.equal(statusOf(new RpcException({ code: Status.ABORTED })).details, 'ABORTED');
  });

  it("Nest's GrpcException family keeps its code and message", () => {
    assert.deepEqual(statusOf(new GrpcNotFoundException('no SKU B')), {
      code: Status.NOT_FOUND,
      details: 'no SKU B',
      known: true,
    });
  });

  it('what exception filters emit: { code, message } objects, and BaseRpcExceptionFilter output', () => {
    assert.deepEqual(statusOf({ code: Status.OUT_OF_RANGE, message: 'too far' }), {
      code: Status.OUT_OF_RANGE,
      details: 'too far',
      metadata: undefined,
      known: true,
    });
    assert.deepEqual(statusOf({ status: 'error', message: 'Internal server error' }), {
      code: Status.UNKNOWN,
      details: 'Internal server error',
      known: true,
    });
    assert.equal(statusOf({ message: 'db password is hunter2' }).details, 'internal error');
    assert.equal(statusOf({ code: 0, message: 'ok?' }).code, Status.INTERNAL);
  });

  it('codes are own-property lookups: names inherited from Object.prototype map to nothing', () => {
    for (const code of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      assert.deepEqual(statusOf(new Coded(code), { LOCK_HELD: Status.ABORTED }), {
        code: Status.INTERNAL,
        details: 'internal error',
        known: false,
      });
      assert.equal(statusOf(new RpcException({ code, message: 'm' })).code, Status.UNKNOWN, code);
      assert.equal(statusOf({ code, message: 'm' }).code, Status.INTERNAL, code);
    }
  });

  it('HttpExceptions map by meaning; 409 Conflict is ALREADY_EXISTS', () => {
    const expected: [number, Status][] = [
      [400, Status.INVALID_ARGUMENT],
      [401, Status.UNAUTHENTICATED],
      [403, Status.PERMISSION_DENIED],
      [404, Status.NOT_FOUND],
      [408, Status.DEADLINE_EXCEEDED],
      [409, Status.ALREADY_EXISTS],
      [412, Status.FAILED_PRECONDITION],
      [413, Status.RESOURCE_EXHAUSTED],
      [422, Status.INVALID_ARGUMENT],
      [429, Status.RESOURCE_EXHAUSTED],
      [418, Status.FAILED_PRECONDITION],
      [500, Status.INTERNAL],
      [501, Status.UNIMPLEMENTED],
      [502, Status.UNAVAILABLE],
      [503, Status.UNAVAILABLE],
      [504, Status.DEADLINE_EXCEEDED],
      [302, Status.UNKNOWN],
    ];
    for (const [http, status] of expected) {
      assert.equal(Status[grpcStatusOfHttpException(http)], Status[status], `HTTP ${http}`);
      assert.equal(statusOf(new HttpException('m', http)).code, status, `HttpException ${http}`);
    }
    assert.equal(statusOf(new ConflictException('sku A already exists')).details, 'sku A already exists');
  });

  it("a ValidationPipe's field messages reach the details, in its list and grouped formats", async () => {
    const body = { sku: 'toolong', orderId: 7 };
    const metadata = { type: 'body' as const, metatype: Grouped };
    const list: unknown = await new ValidationPipe()
      .transform(body, metadata)
      .catch((error: unknown) => error);
    assert.equal(statusOf(list).code, Status.INVALID_ARGUMENT);
    assert.match(
      statusOf(list).details,
      /sku must be shorter than or equal to 3 characters; orderId must be a string/,
    );
    const grouped: unknown = await new ValidationPipe({ errorFormat: 'grouped' })
      .transform(body, metadata)
      .catch((error: unknown) => error);
    assert.match(
      statusOf(grouped).details,
      /^sku: sku must be shorter .*; orderId: orderId must be a string$/,
    );
  });

  it('details are bounded, without cutting a character in two', () => {
    const long = statusOf(new RpcException({ code: Status.INVALID_ARGUMENT, message: 'x'.repeat(10_000) }));
    assert.equal(long.details.length, MAX_STATUS_DETAILS_LENGTH);
    assert.ok(long.details.endsWith('…'));
    const emoji = statusOf(new BadRequestException('📦'.repeat(5_000))).details;
    assert.ok(emoji.length <= MAX_STATUS_DETAILS_LENGTH);
    assert.equal(Buffer.from(emoji, 'utf8').toString('utf8'), emoji, 'no lone surrogate');
  });
});

describe('gRPC ↔ HTTP table', { timeout: 10_000 }, () => {
  it('maps the statuses an API returns to the HTTP codes clients expect', () => {
    assert.equal(httpStatusOf(Status.NOT_FOUND), 404);
    assert.equal(httpStatusOf(Status.FAILED_PRECONDITION), 409);
    assert.equal(httpStatusOf(Status.INVALID_ARGUMENT), 400);
    assert.equal(httpStatusOf(Status.DEADLINE_EXCEEDED), 504);
    assert.equal(httpStatusOf(Status.UNAVAILABLE), 503);
    assert.equal(httpStatusOf(Status.RESOURCE_EXHAUSTED), 429);
    assert.equal(httpStatusOf(Status.UNAUTHENTICATED), 401);
  });

  it('every status has an HTTP code, and the common HTTP codes map back', () => {
    for (const status of Object.values(Status).filter(
      (value): value is Status => typeof value === 'number',
    )) {
      assert.ok(httpStatusOf(status) >= 200, Status[status]);
    }
    assert.equal(grpcStatusOfHttpException(400), Status.INVALID_ARGUMENT);
    assert.equal(grpcStatusOfHttpException(404), Status.NOT_FOUND);
    assert.equal(grpcStatusOfHttpException(418), Status.FAILED_PRECONDITION);
    assert.equal(grpcStatusOfHttpException(502), Status.UNAVAILABLE);
  });
});
