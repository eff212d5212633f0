import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { once } from 'node:events';
import { status as Status, type ServiceError } from '@grpc/grpc-js';
import { Controller, type INestApplicationContext } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall } from '@nestjs/microservices';
import type { EchoResponse } from '@nestmesh/contracts/echo/v1';
import { startContext, waitFor } from '@nestmesh/testing';

import { echoClient, metadataOf } from '../test-fixtures/echo-clients.js';
import { EchoFixtureModule, EchoLog } from '../test-fixtures/fixture-echo.js';
import { GrpcBindingError } from '../grpc.errors.js';
import { ServingStatus } from './health.service.js';
import { MeshGrpcServer } from './mesh-grpc.server.js';

/** Closes `app` once however often it is called: by the test, and by its after hook if it failed first. */
function closeOnce(app: INestApplicationContext): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= app.close());
}

describe('graceful shutdown with open client and bidi streams', { timeout: 60_000 }, () => {
  it('keeps serving an open bidi stream while draining, and closes once the client ends it', async (t) => {
    const app = await startContext(EchoFixtureModule.forRoot());
    const close = closeOnce(app);
    t.after(close);
    const client = echoClient(app.get(MeshGrpcServer).port);
    t.after(() => client.close());
    const call = client.chat(metadataOf({}), { deadline: Date.now() + 30_000 });
    call.write({ message: 'before', delayMs: 0 });
    const [first] = (await once(call, 'data')) as [EchoResponse];
    assert.deepEqual(first, { message: 'before', sequence: 1 });

    let closed = false;
    const closing = close().then(() => (closed = true));
    // The server reports NOT_SERVING, then refuses new calls; the open stream still answers.
    await waitFor(() => app.get(MeshGrpcServer).health.status('') === ServingStatus.NOT_SERVING, {
      description: 'draining to start',
    });
    call.write({ message: 'during', delayMs: 0 });
    const [second] = (await once(call, 'data')) as [EchoResponse];
    assert.deepEqual(second, { message: 'during', sequence: 2 });
    assert.equal(closed, false, 'close waits for the open stream');
    call.end();
    await once(call, 'end');
    await closing;
    assert.ok(app.get(EchoLog).has('chat:responses-complete'));
  });

  it('cancels a stream still open when the drain deadline passes, and its handler sees it', async (t) => {
    const app = await startContext(EchoFixtureModule.forRoot({ server: { drainTimeoutMs: 100 } }));
    const close = closeOnce(app);
    t.after(close);
    const client = echoClient(app.get(MeshGrpcServer).port);
    t.after(() => client.close());
    const log = app.get(EchoLog);
    const call = client.chat(metadataOf({}), {});
    const failed = new Promise<ServiceError>((resolve) => call.on('error', resolve));
    call.write({ message: 'hang', delayMs: 0 });
    await waitFor(() => log.received === 1, { description: 'the request to arrive' });
    const collect = client.collect(metadataOf({}), {}, () => undefined);
    collect.on('error', () => undefined);
    collect.write({ message: 'unfinished' });
    await waitFor(() => log.received === 2, { description: 'the collect request to arrive' });
    await close();
    const error = await failed;
    assert.ok([Status.CANCELLED, Status.UNAVAILABLE].includes(error.code), error.message);
    await waitFor(() => log.has('chat:signal-aborted') && log.has('chat:responses-ended'), {
      description: 'the bidi handler to see the cancel',
    });
    assert.ok(log.has('collect:signal-aborted') && log.has('collect:responses-ended'), log.events.join(', '));
  });
});

@Controller()
class UnaryDeclaredStream {
  @GrpcMethod('EchoService', 'Collect')
  collect(): never {
    throw new Error('never called');
  }
}

@Controller()
class PassThroughStream {
  @GrpcStreamCall('EchoService', 'Chat')
  chat(call: { end(): void }): void {
    call.end();
  }
}

describe('request-streaming methods declared the wrong way', { timeout: 30_000 }, () => {
  for (const [controller, expected] of [
    [
      UnaryDeclaredStream,
      /UnaryDeclaredStream\.collect: \/echo\.v1\.EchoService\/Collect takes a stream of requests; declare it with @GrpcStreamMethod/,
    ],
    [
      PassThroughStream,
      /PassThroughStream\.chat: @GrpcStreamCall .* is not supported; declare \/echo\.v1\.EchoService\/Chat with @GrpcStreamMethod/,
    ],
  ] as const) {
    it(`refuses ${controller.name} at startup, naming the method and the fix`, async () => {
      const module = EchoFixtureModule.forRoot();
      module.controllers = [controller];
      await assert.rejects(startContext(module), (error: unknown) => {
        assert.ok(error instanceof GrpcBindingError, String(error));
        assert.match(error.message, expected);
        return true;
      });
    });
  }
});
