import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import type { INestApplicationContext } from '@nestjs/common';
import type { EchoResponse } from '@nestmesh/contracts/echo/v1';
import { startContext, waitFor } from '@nestmesh/testing';

import { chat, collect, echoClient, metadataOf, type EchoRawClient } from '../test-fixtures/echo-clients.js';
import { EchoFixtureModule, EchoLog } from '../test-fixtures/fixture-echo.js';
import { MeshGrpcServer } from './mesh-grpc.server.js';

async function failureOf(call: Promise<unknown>): Promise<ServiceError> {
  return call.then(
    () => assert.fail('the call succeeded'),
    (error: ServiceError) => error,
  );
}

for (const guarded of [false, true]) {
  // The guarded controller runs through Nest's enhancers (a guard, an interceptor that
  // upper-cases answers); the plain one is called directly.
  const shout = (text: string) => (guarded ? text.toUpperCase() : text);

  describe(
    `client-streaming and bidirectional handlers (${guarded ? 'with' : 'without'} enhancers)`,
    { timeout: 60_000 },
    () => {
      let app: INestApplicationContext;
      let client: EchoRawClient;
      let log: EchoLog;

      before(async () => {
        app = await startContext(EchoFixtureModule.forRoot({ guarded }));
        client = echoClient(app.get(MeshGrpcServer).port);
        log = app.get(EchoLog);
      });
      after(async () => {
        client?.close();
        await app?.close();
      });

      it('answers a client stream once it ends, from an Observable or a Promise', async () => {
        assert.deepEqual(await collect(client, ['a', 'b', 'c']), { count: 3, joined: shout('a b c') });
        assert.deepEqual(await collect(client, [], metadataOf({ 'x-result': 'promise' })), {
          count: 0,
          joined: '',
        });
        assert.deepEqual(await collect(client, ['x', 'y'], metadataOf({ 'x-result': 'promise' })), {
          count: 2,
          joined: shout('x y'),
        });
      });

      it('answers each request of a bidirectional stream, from an Observable or an AsyncIterable', async () => {
        const expected = ['one', 'two', 'three'].map((message, index) => ({
          message: shout(message),
          sequence: index + 1,
        }));
        assert.deepEqual(await chat(client, ['one', 'two', 'three']), expected);
        assert.deepEqual(
          await chat(client, ['one', 'two', 'three'], metadataOf({ 'x-result': 'iterable' })),
          expected,
        );
      });

      it('maps a handler error to its status: HttpException on a client stream, RpcException on a bidi stream', async () => {
        const collectError = await failureOf(collect(client, ['a', 'fail', 'b']));
        assert.equal(collectError.code, Status.INVALID_ARGUMENT, collectError.message);
        assert.match(collectError.details, /"fail" is refused/);
        const chatError = await failureOf(chat(client, ['a', 'fail']));
        assert.equal(chatError.code, Status.NOT_FOUND, chatError.message);
        assert.equal(chatError.details, 'chat: no such message');
      });

      if (guarded) {
        it('refuses with PERMISSION_DENIED when a guard says no, before reading any request', async () => {
          const received = log.received;
          const refused = metadataOf({ 'x-refuse': 'yes' });
          assert.equal((await failureOf(collect(client, ['a'], refused))).code, Status.PERMISSION_DENIED);
          assert.equal((await failureOf(chat(client, ['a'], refused))).code, Status.PERMISSION_DENIED);
          assert.equal(log.received, received, 'the refused handlers never ran');
        });
      }

      it('on a client cancel mid-stream, unsubscribes the working handler and aborts the call signal', async () => {
        log.events.length = 0;
        const call = client.chat(metadataOf({}), {});
        call.on('error', () => undefined);
        call.write({ message: 'hello', delayMs: 0 });
        const [first] = (await once(call, 'data')) as [EchoResponse];
        assert.equal(first.message, shout('hello'));
        const receivedBefore = log.received;
        call.write({ message: 'hang', delayMs: 0 });
        await waitFor(() => log.received > receivedBefore, { description: 'the hanging request to arrive' });
        call.cancel();
        await waitFor(() => log.has('chat:signal-aborted') && log.has('chat:responses-ended'), {
          description: 'the handler to see the cancel',
        }).catch((error: Error) => assert.fail(`${error.message}; saw ${log.events.join(', ')}`));
        assert.ok(!log.has('chat:responses-complete'), log.events.join(', '));
      });

      it('on a client cancel of a client stream, aborts the call signal and unsubscribes the working handler', async () => {
        log.events.length = 0;
        const receivedBefore = log.received;
        const call = client.collect(metadataOf({}), {}, () => undefined);
        call.write({ message: 'hang' });
        await waitFor(() => log.received > receivedBefore, { description: 'the request to arrive' });
        call.cancel();
        await waitFor(() => log.has('collect:signal-aborted') && log.has('collect:responses-ended'), {
          description: 'collect to see the cancel',
        }).catch((error: Error) => assert.fail(`${error.message}; saw ${log.events.join(', ')}`));
      });

      it('ends a stream whose deadline passes mid-stream with DEADLINE_EXCEEDED and unsubscribes the working handler', async () => {
        log.events.length = 0;
        const call = client.chat(metadataOf({}), { deadline: Date.now() + 1500 });
        const ended = new Promise<ServiceError>((resolve) => call.on('error', resolve));
        call.write({ message: 'hello', delayMs: 0 });
        await once(call, 'data');
        call.write({ message: 'hang', delayMs: 0 });
        const error = await ended;
        assert.equal(error.code, Status.DEADLINE_EXCEEDED);
        await waitFor(() => log.has('chat:signal-aborted') && log.has('chat:responses-ended'), {
          description: 'the handler to see the deadline',
        }).catch((error: Error) => assert.fail(`${error.message}; saw ${log.events.join(', ')}`));
        assert.ok(!log.has('chat:responses-complete'), log.events.join(', '));
      });
    },
  );
}

describe('bidirectional back-pressure', { timeout: 60_000 }, () => {
  it('stops reading requests while answers wait to be sent, and loses none', async (t) => {
    const app = await startContext(EchoFixtureModule.forRoot());
    const client = echoClient(app.get(MeshGrpcServer).port);
    t.after(async () => {
      client.close();
      await app.close();
    });
    const log = app.get(EchoLog);
    // 400 small requests, all sent at once, each answered with 64 KiB: the server can read
    // requests far faster than it can send answers, and the client reads nothing for a while.
    const requests = 400;
    const call = client.chat(metadataOf({}), { deadline: Date.now() + 50_000 });
    call.pause();
    for (let index = 0; index < requests; index++) call.write({ message: 'big:65536', delayMs: 0 });
    call.end();
    await waitFor(() => log.received > 0, { description: 'the first request to be read' });
    await sleep(500);
    const responses: EchoResponse[] = [];
    for await (const response of call) responses.push(response as EchoResponse);
    assert.deepEqual(
      responses.map((response) => response.sequence),
      Array.from({ length: requests }, (_, index) => index + 1),
    );
    // grpc-js' write buffer signals full at 16 messages; reading stops then, so a request is
    // never read while many more answers wait (without back-pressure: hundreds).
    assert.ok(log.maxBuffered <= 32, `${log.maxBuffered} answers were waiting when a request was read`);
  });
});
