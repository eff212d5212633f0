import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import type { INestApplicationContext } from '@nestjs/common';
import { startContext, waitFor } from '@nestmesh/testing';

import { pythonEcho } from '../test-fixtures/echo-clients.js';
import { EchoFixtureModule, EchoLog } from '../test-fixtures/fixture-echo.js';
import { MeshGrpcServer } from './mesh-grpc.server.js';

// The same server paths as stream-methods.spec.ts, called by Python's grpcio (Debian's
// python3-grpcio): another implementation's framing, half-close and cancel.
describe('client-streaming and bidirectional handlers called from Python grpcio', { timeout: 90_000 }, () => {
  let app: INestApplicationContext;
  let port: number;
  let log: EchoLog;

  before(async () => {
    app = await startContext(EchoFixtureModule.forRoot({ guarded: true }));
    port = app.get(MeshGrpcServer).port;
    log = app.get(EchoLog);
  });
  after(() => app?.close());

  it('answers a client stream and each request of a bidi stream', async () => {
    assert.deepEqual(await pythonEcho(port, 'collect', { messages: ['a', 'b', 'c'] }), [
      { count: 3, joined: 'A B C' },
    ]);
    assert.deepEqual(await pythonEcho(port, 'chat', { messages: ['one', 'two'] }), [
      { message: 'ONE', sequence: 1 },
      { message: 'TWO', sequence: 2 },
    ]);
  });

  it('sends the mapped status of a handler error', async () => {
    assert.deepEqual(await pythonEcho(port, 'collect', { messages: ['a', 'fail'] }), [
      { code: 'INVALID_ARGUMENT', details: 'collect: "fail" is refused' },
    ]);
    assert.deepEqual(await pythonEcho(port, 'chat', { messages: ['a', 'fail'] }), [
      { message: 'A', sequence: 1 },
      { code: 'NOT_FOUND', details: 'chat: no such message' },
    ]);
  });

  it('lets the handler see a cancel mid-stream', async () => {
    log.events.length = 0;
    const receivedBefore = log.received;
    const output = await pythonEcho(port, 'chat-cancel', {
      proceedWhen: () =>
        waitFor(() => log.received >= receivedBefore + 2, { description: '"hello" and "hang"' }),
    });
    assert.deepEqual(output, [{ message: 'HELLO', sequence: 1 }, { cancelled: true }]);
    await waitFor(() => log.has('chat:signal-aborted') && log.has('chat:responses-ended'), {
      description: 'the handler to see the cancel',
    }).catch((error: Error) => assert.fail(`${error.message}; saw ${log.events.join(', ')}`));
  });

  it('ends a stream whose deadline passes mid-stream with DEADLINE_EXCEEDED, and the handler with it', async () => {
    log.events.length = 0;
    const output = await pythonEcho(port, 'chat-deadline');
    assert.deepEqual(output[0], { message: 'HELLO', sequence: 1 });
    assert.equal(output[1]?.code, Status[Status.DEADLINE_EXCEEDED], JSON.stringify(output));
    await waitFor(() => log.has('chat:signal-aborted') && log.has('chat:responses-ended'), {
      description: 'the handler to see the deadline',
    }).catch((error: Error) => assert.fail(`${error.message}; saw ${log.events.join(', ')}`));
    assert.ok(!log.has('chat:responses-complete'), log.events.join(', '));
  });
});
