import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { status as Status } from '@grpc/grpc-js';
import type { INestApplicationContext } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { captureTelemetry } from '@nestmesh/telemetry/testing';
import { startContext, waitFor } from '@nestmesh/testing';

import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import {
  chat,
  chatUntilServerDeadline,
  collect,
  echoClient,
  metadataOf,
  type EchoRawClient,
} from '../test-fixtures/echo-clients.js';
import { EchoFixtureModule, EchoLog } from '../test-fixtures/fixture-echo.js';
import { settle } from './telemetry-test-helpers.js';

const telemetry = captureTelemetry({ serviceName: 'grpc-stream-spec' });
const COLLECT = 'echo.v1.EchoService/Collect';
const CHAT = 'echo.v1.EchoService/Chat';

/** The status names of the SERVER spans called `name`, in the order they ended. */
function serverStatuses(name: string): unknown[] {
  return telemetry
    .spans()
    .filter((span) => span.name === name && span.kind === SpanKind.SERVER)
    .map((span) => span.attributes['rpc.status_code']);
}

describe('tracing of client-streaming and bidirectional calls', { timeout: 60_000 }, () => {
  let app: INestApplicationContext;
  let client: EchoRawClient;

  before(async () => {
    app = await startContext(EchoFixtureModule.forRoot());
    client = echoClient(app.get(MeshGrpcServer).port);
  });
  after(async () => {
    client?.close();
    await app?.close();
    await telemetry.stop();
  });
  beforeEach(() => telemetry.resetSpans());

  it('ends a client-streaming SERVER span with the status answered', async () => {
    await collect(client, ['a', 'b']);
    await collect(client, ['fail']).catch(() => undefined);
    await settle(telemetry, COLLECT, 2);
    assert.deepEqual(serverStatuses(COLLECT), ['OK', 'INVALID_ARGUMENT']);
    const failed = telemetry
      .spans()
      .find((span) => span.attributes['rpc.status_code'] === 'INVALID_ARGUMENT')!;
    assert.equal(failed.status.code, SpanStatusCode.UNSET, "a client's fault is not the server's error");
  });

  it('ends a bidirectional SERVER span when the stream ends, fails, is cancelled or runs out of time', async () => {
    const log = app.get(EchoLog);
    await chat(client, ['a', 'b']);
    await chat(client, ['fail']).catch(() => undefined);
    await settle(telemetry, CHAT, 2);
    assert.deepEqual(serverStatuses(CHAT), ['OK', 'NOT_FOUND']);

    telemetry.resetSpans();
    const cancelled = client.chat(metadataOf({}), {});
    cancelled.on('error', () => undefined);
    const receivedBefore = log.received;
    cancelled.write({ message: 'hang', delayMs: 0 });
    await waitFor(() => log.received > receivedBefore, { description: 'the request to arrive' });
    cancelled.cancel();
    await settle(telemetry, CHAT, 1);
    assert.deepEqual(serverStatuses(CHAT), ['CANCELLED']);

    // The server's own deadline: a grpc-js client cancels at its deadline, and that cancel can
    // reach the server before the server's timer (counted from when the headers arrived) fires;
    // the server then rightly sees CANCELLED. This peer sends grpc-timeout and never cancels.
    telemetry.resetSpans();
    const answered = await chatUntilServerDeadline(app.get(MeshGrpcServer).port, 300, [
      { message: 'hang', delayMs: 0 },
    ]);
    assert.equal(answered, Status.DEADLINE_EXCEEDED);
    await settle(telemetry, CHAT, 1);
    assert.deepEqual(serverStatuses(CHAT), ['DEADLINE_EXCEEDED']);
  });
});
