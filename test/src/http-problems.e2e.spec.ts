import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Controller, Get, Module } from '@nestjs/common';
import { configureHttp } from '@nestmesh/order';
import { startHttpApp } from '@nestmesh/testing';
import type { INestApplication } from '@nestjs/common';

import { startEmbeddedCluster, type EmbeddedCluster } from './support/embedded-cluster.js';

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: { field: string; detail: string }[];
}

/** Sends a request and reads the answer as a problem, checking the RFC 9457 envelope. */
async function problem(url: string, init?: RequestInit): Promise<Problem> {
  const response = await fetch(url, init);
  const text = await response.text();
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/, text.slice(0, 300));
  const body = JSON.parse(text) as Problem;
  assert.equal(body.status, response.status, 'status in the body is the HTTP status');
  assert.equal(body.type, 'about:blank');
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.match(body.code, /^[A-Z][A-Z0-9_]+$/);
  assert.ok(text.length < 4000, `a bounded answer, got ${text.length} characters`);
  return body;
}

const json = (body: string, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body,
});

describe('the HTTP edge answers every error as application/problem+json', { timeout: 60_000 }, () => {
  let cluster: EmbeddedCluster;
  before(async () => (cluster = await startEmbeddedCluster({ seed: { 'A-1': 1000n, 'C-3': 5n } })));
  after(() => cluster?.close());

  it('validation failures: 400 INVALID_ARGUMENT with every bad field in errors', async () => {
    const body = await problem(
      `${cluster.url}/orders`,
      json(JSON.stringify({ items: [{ sku: '-bad', quantity: 0 }, { quantity: '2' }], extra: 1 })),
    );
    assert.equal(body.status, 400);
    assert.equal(body.code, 'INVALID_ARGUMENT');
    const fields = new Map(body.errors?.map((error) => [error.field, error.detail]));
    assert.match(fields.get('items[0].sku') ?? '', /1-64 letters/);
    assert.match(fields.get('items[0].quantity') ?? '', /less than 1/);
    assert.match(fields.get('items[1].sku') ?? '', /null or undefined/);
    assert.match(fields.get('items[1].quantity') ?? '', /integer/);
    assert.match(fields.get('extra') ?? '', /should not exist/);
    const missing = await problem(`${cluster.url}/orders`, json('{}'));
    assert.deepEqual(missing.errors, [{ field: 'items', detail: 'items should not be null or undefined' }]);
  });

  it('a 10 kB SKU or property name is never echoed back', async () => {
    const long = 'S'.repeat(10_000);
    for (const body of [
      { items: [{ sku: long, quantity: 1 }] },
      { items: [{ sku: 'A-1', quantity: 1 }], [long]: 1 },
    ]) {
      const answer = await problem(`${cluster.url}/orders`, json(JSON.stringify(body)));
      assert.equal(answer.status, 400);
      assert.ok(!JSON.stringify(answer).includes('S'.repeat(200)), 'the long value is cut');
    }
    const stock = await problem(`${cluster.url}/stock/${long}`);
    assert.equal(stock.status, 400);
    assert.ok(!JSON.stringify(stock).includes('S'.repeat(200)));
  });

  it('gRPC errors from inventory keep their meaning: 409 FAILED_PRECONDITION, 404 NOT_FOUND', async () => {
    const short = await problem(`${cluster.url}/orders`, json('{"items":[{"sku":"C-3","quantity":6}]}'));
    assert.equal(short.status, 409);
    assert.equal(short.code, 'FAILED_PRECONDITION');
    assert.match(short.detail, /5 available, 6 requested/);
    const unknown = await problem(`${cluster.url}/stock/NOPE-1`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.code, 'NOT_FOUND');
  });

  it('unknown routes: 404 ROUTE_NOT_FOUND, without echoing a long path', async () => {
    const body = await problem(`${cluster.url}/nowhere/${'p'.repeat(5000)}`);
    assert.equal(body.status, 404);
    assert.equal(body.code, 'ROUTE_NOT_FOUND');
    assert.match(body.detail, /^no route for GET \/nowhere\/p+… \(\d+ characters\)$/);
    assert.equal((await problem(`${cluster.url}/orders`, { method: 'DELETE' })).code, 'ROUTE_NOT_FOUND');
  });

  it('a body over the limit: 413 PAYLOAD_TOO_LARGE naming the limit', async () => {
    const items = Array.from({ length: 3000 }, () => ({ sku: 'A-1', quantity: 1 }));
    const body = await problem(`${cluster.url}/orders`, json(JSON.stringify({ items })));
    assert.equal(body.status, 413);
    assert.equal(body.code, 'PAYLOAD_TOO_LARGE');
    assert.match(body.detail, /limit of 65536 bytes/);
  });

  it('another content type: one 415, not three contradictory 400s', async () => {
    const valid = JSON.stringify({ items: [{ sku: 'A-1', quantity: 1 }] });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const body = await problem(`${cluster.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: valid,
      });
      assert.equal(body.status, 415, contentType);
      assert.equal(body.code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.equal(body.errors, undefined);
    }
    const charset = await problem(
      `${cluster.url}/orders`,
      json(valid, { 'content-type': 'application/json; charset=latin9' }),
    );
    assert.equal(charset.status, 415);
  });

  it('malformed JSON: 400 MALFORMED_JSON, without the parser message', async () => {
    const body = await problem(`${cluster.url}/orders`, json('{"items": [{"sku": "SECRET-ish'));
    assert.equal(body.status, 400);
    assert.equal(body.code, 'MALFORMED_JSON');
    assert.doesNotMatch(body.detail, /SECRET/);
  });

  it('bad path parameters: 400 INVALID_ARGUMENT naming the parameter', async () => {
    const body = await problem(`${cluster.url}/orders/not-a-uuid`);
    assert.equal(body.code, 'INVALID_ARGUMENT');
    assert.deepEqual(
      body.errors?.map((error) => error.field),
      ['id'],
    );
  });
});

@Controller()
class FailingController {
  @Get('boom')
  boom(): never {
    throw new Error('db password is hunter2');
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('an unexpected error', { timeout: 30_000 }, () => {
  let app: INestApplication;
  let url: string;
  before(async () => ({ app, url } = await startHttpApp(FailingModule, configureHttp)));
  after(() => app?.close());

  it('is a 500 INTERNAL problem with an instance id and nothing of its cause', async () => {
    const body = await problem(`${url}/boom`);
    assert.equal(body.status, 500);
    assert.equal(body.code, 'INTERNAL');
    assert.equal(body.detail, 'internal error');
    assert.match(body.instance ?? '', /^urn:uuid:[0-9a-f-]{36}$/);
    assert.doesNotMatch(JSON.stringify(body), /hunter2|at .*\.js/);
  });
});
