import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { Metadata, status as Status } from '@grpc/grpc-js';

import { RpcError } from '../grpc.errors.js';
import { grpcStatusOfHttp, httpStatusOf } from './http-status.js';
import { statusOf } from './status-mapping.js';

class Coded extends Error {
  constructor(readonly code: string) {
    super(`coded ${code}`);
  }
}

describe('error → gRPC status', () => {
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

  it('anything else is INTERNAL, marked unknown, with a generic message', () => {
    assert.deepEqual(statusOf(new Error('db password is hunter2')), {
      code: Status.INTERNAL,
      details: 'internal error',
      known: false,
    });
    assert.equal(statusOf('a string').code, Status.INTERNAL);
  });
});

describe('gRPC ↔ HTTP table', () => {
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
    assert.equal(grpcStatusOfHttp(400), Status.INVALID_ARGUMENT);
    assert.equal(grpcStatusOfHttp(404), Status.NOT_FOUND);
    assert.equal(grpcStatusOfHttp(418), Status.FAILED_PRECONDITION);
    assert.equal(grpcStatusOfHttp(502), Status.INTERNAL);
  });
});
