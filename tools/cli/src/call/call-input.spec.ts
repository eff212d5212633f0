import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MalformedJsonError, UsageError } from '../cli.errors.js';
import { parseJson } from './json-input.js';
import { collectHeader, parseHeader } from './metadata-headers.js';
import { parseMethodName } from './method-name.js';

describe('parseJson', () => {
  it('parses JSON', () => {
    assert.deepEqual(parseJson('{"sku":"A-1","quantity":"3"}', 'the request argument'), {
      sku: 'A-1',
      quantity: '3',
    });
  });

  it('says which input is malformed and where the parser stopped (column on one line)', () => {
    assert.throws(
      () => parseJson('{"sku":"A-1",}', 'the request argument'),
      (error: unknown) =>
        error instanceof MalformedJsonError &&
        error.exitCode === 8 &&
        /^nestmesh: the request argument is not JSON: .+ at column 14$/.test(error.message),
    );
  });

  it('gives line and column in a document of several lines', () => {
    assert.throws(
      () => parseJson('{\n  "sku": "A-1"\n  "quantity": 3\n}', 'stdin'),
      /^MalformedJsonError: nestmesh: stdin is not JSON: .+ at line 3, column 3$/,
    );
  });

  it('points past the end for a document cut short', () => {
    assert.throws(() => parseJson('{"sku":', 'stdin line 2'), /stdin line 2 is not JSON: .+ at column 8$/);
  });
});

describe('parseMethodName', () => {
  it('splits package.Service/Method, with or without a leading slash', () => {
    assert.deepEqual(parseMethodName('inventory.v1.InventoryService/GetStock'), {
      service: 'inventory.v1.InventoryService',
      method: 'GetStock',
    });
    assert.deepEqual(parseMethodName('/Health/Check'), { service: 'Health', method: 'Check' });
  });

  for (const bad of ['GetStock', 'inventory.v1.InventoryService.GetStock', 'a..B/C', 'a.B/', '/C', 'a.B/C-d'])
    it(`refuses "${bad}" with the form expected`, () => {
      assert.throws(
        () => parseMethodName(bad),
        (error: unknown) =>
          error instanceof UsageError && /expected package\.Service\/Method/.test(error.message),
      );
    });
});

describe('-H key=value', () => {
  it('lower-cases the key and keeps everything after the first = as the value', () => {
    assert.deepEqual(parseHeader('X-Tenant=a=b'), ['x-tenant', 'a=b']);
    assert.deepEqual(collectHeader('b=2', [['a', '1']]), [
      ['a', '1'],
      ['b', '2'],
    ]);
  });

  for (const [header, why] of [
    ['novalue', /expected key=value/],
    ['=x', /expected key=value/],
    ['bad key=x', /not a metadata key/],
    ['grpc-timeout=1S', /set by gRPC itself/],
    ['trace-bin=not base64!', /base64/],
  ] as const)
    it(`refuses "${header}"`, () => {
      assert.throws(
        () => parseHeader(header),
        (error: unknown) => error instanceof UsageError && why.test(error.message),
      );
    });
});
