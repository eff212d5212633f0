import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status as Status } from '@grpc/grpc-js';

import { fieldViolationsOf, invalidArgument, STATUS_DETAILS_KEY } from './bad-request.details.js';

describe('google.rpc.BadRequest in grpc-status-details-bin', () => {
  it('invalidArgument carries the violations; fieldViolationsOf reads them back', () => {
    const violations = [
      { field: 'items[0].sku', description: 'sku must be 1-64 letters' },
      { field: 'items[1].quantity', description: 'quantity must not be less than 1 — ünïcode' },
    ];
    const error = invalidArgument('invalid order', violations);
    assert.equal(error.status, Status.INVALID_ARGUMENT);
    assert.equal(error.details, 'invalid order');
    assert.ok(Buffer.isBuffer(error.metadata.get(STATUS_DETAILS_KEY)[0]));
    assert.deepEqual(fieldViolationsOf(error.metadata), violations);
  });

  it('no details, or details of another type, read as none', () => {
    assert.deepEqual(fieldViolationsOf(undefined), []);
    assert.deepEqual(fieldViolationsOf(new Metadata()), []);
    const other = new Metadata();
    // google.rpc.Status { code: 3, message: "x", details: [Any { type_url: ".../google.rpc.RetryInfo" }] }
    const typeUrl = Buffer.from('type.googleapis.com/google.rpc.RetryInfo');
    const any = Buffer.concat([Buffer.from([0x0a, typeUrl.length]), typeUrl]);
    other.set(
      STATUS_DETAILS_KEY,
      Buffer.concat([Buffer.from([0x08, 3, 0x12, 1, 0x78, 0x1a, any.length]), any]),
    );
    assert.deepEqual(fieldViolationsOf(other), []);
  });
});
