import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { captureTelemetry } from '@nestmesh/telemetry/testing';
import { waitFor } from '@nestmesh/testing';

import { EchoPeer, startEchoPeerWithClient } from '../test-fixtures/echo-peer.js';
import { ClientTracing } from './middleware/tracing.js';
import type { MeshClient } from './typed-client.js';

const telemetry = captureTelemetry({ serviceName: 'client-streaming-spec' });
const COLLECT = 'echo.v1.EchoService/Collect';
const CHAT = 'echo.v1.EchoService/Chat';

/** The one finished CLIENT span of `method`, once it has ended. */
async function clientSpan(method: string) {
  const spans = await waitFor(() => {
    const found = telemetry.spans().filter((span) => span.name === method && span.kind === SpanKind.CLIENT);
    return found.length > 0 && found;
  });
  assert.equal(spans.length, 1, `one span for ${method}`);
  return spans[0];
}

describe('mesh client tracing of client-streaming and bidi calls', { timeout: 60_000 }, () => {
  let peer: EchoPeer;
  let echo: MeshClient<typeof EchoServiceService>;
  let close = () => {};

  before(async () => {
    ({ peer, echo, close } = await startEchoPeerWithClient({
      interceptors: [new ClientTracing({ service: 'echo' }).interceptor],
    }));
  });
  beforeEach(() => telemetry.resetSpans());
  after(() => close());

  it('a Collect span ends with OK and the server reached', async () => {
    assert.equal((await echo.collect([{ message: 'a' }, { message: 'b' }])).count, 2);
    const span = await clientSpan(COLLECT);
    assert.equal(span.attributes['rpc.status_code'], 'OK');
    assert.equal(span.attributes['server.port'], peer.port);
    assert.equal(span.status.code, SpanStatusCode.UNSET);
  });

  it('a Chat span ends with OK after end(), and CANCELLED after a break', async () => {
    const chat = echo.chat();
    await chat.write({ message: 'x', delayMs: 0 });
    chat.end();
    for await (const response of chat) assert.equal(response.sequence, 1);
    assert.equal((await clientSpan(CHAT)).attributes['rpc.status_code'], 'OK');

    telemetry.resetSpans();
    const broken = echo.chat();
    await broken.write({ message: 'y', delayMs: 0 });
    for await (const response of broken) {
      assert.equal(response.sequence, 1);
      break;
    }
    const span = await clientSpan(CHAT);
    assert.equal(span.attributes['rpc.status_code'], 'CANCELLED');
    assert.equal(span.status.code, SpanStatusCode.ERROR);
  });

  it('a Collect that outlives its deadline ends its span with DEADLINE_EXCEEDED', async () => {
    async function* endless() {
      yield { message: 'first' };
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
    }
    await assert.rejects(echo.collect(endless(), { timeoutMs: 300 }));
    assert.equal((await clientSpan(COLLECT)).attributes['rpc.status_code'], 'DEADLINE_EXCEEDED');
  });
});
