import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { Metadata, status as Status } from '@grpc/grpc-js';
import { startContext } from '@nestmesh/testing';

import { InvalidErrorDetailsError, RpcError } from '../grpc.errors.js';
import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import { FaultyEchoPeer } from '../test-fixtures/faulty-echo-peer.js';
import { RelayLog, relayModule } from '../test-fixtures/relay-echo.js';
import { registryOf, startEchoClient, type Echo } from '../test-fixtures/retry-peers.js';
import {
  failedDownstream,
  RETRY_PUSHBACK_KEY,
  retryPushbackMetadata,
  withDownstreamPushback,
} from './retry-pushback.js';

const GET_STOCK = '/inventory.v1.InventoryService/GetStock';

describe('retry pushback', { timeout: 10_000 }, () => {
  it('builds the trailer: a delay in ms, or -1 for never', () => {
    assert.deepEqual(retryPushbackMetadata(250).get(RETRY_PUSHBACK_KEY), ['250']);
    assert.deepEqual(retryPushbackMetadata(0).get(RETRY_PUSHBACK_KEY), ['0']);
    assert.deepEqual(retryPushbackMetadata('never').get(RETRY_PUSHBACK_KEY), ['-1']);
    for (const bad of [-5, 1.5, Number.NaN]) {
      assert.throws(() => retryPushbackMetadata(bad), InvalidErrorDetailsError);
    }
  });

  it('tells a dependency failure (a mesh client call, an overload code, as such or as a cause)', () => {
    const downstream = new RpcError(Status.UNAVAILABLE, 'no instance', { method: GET_STOCK });
    assert.ok(failedDownstream(downstream));
    assert.ok(failedDownstream(new Error('stock unknown', { cause: downstream })));
    const timeout = new RpcError(Status.DEADLINE_EXCEEDED, 'late', { method: GET_STOCK });
    assert.ok(failedDownstream(timeout));
    // A handler's own error, and a dependency's application answer, are not.
    assert.ok(!failedDownstream(new RpcError(Status.UNAVAILABLE, 'maintenance')));
    assert.ok(!failedDownstream(new RpcError(Status.NOT_FOUND, 'no sku', { method: GET_STOCK })));
    assert.ok(!failedDownstream(new Error('boom')));
    assert.ok(!failedDownstream({ code: Status.UNAVAILABLE }));
  });

  it('adds -1 to a copy of the trailers, leaving the downstream call’s own untouched', () => {
    const trailers = new Metadata();
    trailers.set('x-from', 'c');
    const downstream = new RpcError(Status.UNAVAILABLE, 'no instance', {
      method: GET_STOCK,
      metadata: trailers,
    });
    const sent = withDownstreamPushback(downstream, downstream.metadata);
    assert.deepEqual(sent?.get(RETRY_PUSHBACK_KEY), ['-1']);
    assert.deepEqual(sent?.get('x-from'), ['c']);
    assert.deepEqual(trailers.get(RETRY_PUSHBACK_KEY), []);
    assert.equal(withDownstreamPushback(new Error('own'), undefined), undefined);
  });
});

describe('pushback across hops: A → B → C, C failing UNAVAILABLE', { timeout: 60_000 }, () => {
  let c: FaultyEchoPeer;
  let downstreamApp: INestApplicationContext;
  let relay: INestApplicationContext;
  let edgeApp: INestApplicationContext;
  let a: Echo;
  let log: RelayLog;

  before(async () => {
    c = await FaultyEchoPeer.start('unavailable');
    // Fresh service names: grpc-js' retry throttle is per target for the whole process.
    const toC = `c-${randomUUID().slice(0, 8)}`;
    const downstream = await startEchoClient(await registryOf(toC, [c.port]), toC, {});
    downstreamApp = downstream.app;
    relay = await startContext(relayModule(downstream.echo));
    log = relay.get(RelayLog);
    const toB = `b-${randomUUID().slice(0, 8)}`;
    const edge = await startEchoClient(await registryOf(toB, [relay.get(MeshGrpcServer).port]), toB, {});
    edgeApp = edge.app;
    a = edge.echo;
  });
  after(async () => {
    await edgeApp?.close();
    await relay?.close();
    await downstreamApp?.close();
    c?.stop();
  });

  /** The RpcError `call` rejected with. */
  async function failure(call: Promise<unknown>): Promise<RpcError> {
    const error = await call.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`);
    return error;
  }

  it('B retries its call to C, but A does not retry B: B saw the call once', async () => {
    const callsBefore = c.calls;
    const error = await failure(a.echo({ message: 'unary', delayMs: 0 }));
    assert.equal(error.status, Status.UNAVAILABLE);
    assert.deepEqual(error.metadata.get(RETRY_PUSHBACK_KEY), ['-1']);
    assert.deepEqual(
      log.received.filter((message) => message === 'unary'),
      ['unary'],
    );
    // B's own client retried per its policy: three attempts at C.
    assert.equal(c.calls - callsBefore, 3);
  });

  it('a streaming handler’s dependency failure carries the pushback too', async () => {
    const chat = a.chat();
    await chat.write({ message: 'chat', delayMs: 0 });
    chat.end();
    const error = await failure(
      (async () => {
        for await (const response of chat) void response;
      })(),
    );
    assert.equal(error.status, Status.UNAVAILABLE);
    assert.deepEqual(error.metadata.get(RETRY_PUSHBACK_KEY), ['-1']);
    assert.deepEqual(
      log.received.filter((message) => message === 'chat'),
      ['chat'],
    );
  });
});
