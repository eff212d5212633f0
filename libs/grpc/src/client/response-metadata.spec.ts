import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';

import { PEER_HEADER, PEER_TRAILER, startEchoPeerWithClient } from '../test-fixtures/echo-peer.js';
import type { MeshClient } from './typed-client.js';

describe('mesh client: response headers and trailers', { timeout: 60_000 }, () => {
  let echo: MeshClient<typeof EchoServiceService>;
  let close = () => {};

  before(async () => {
    ({ echo, close } = await startEchoPeerWithClient());
  });
  after(() => close());

  it('a unary call with { withMetadata: true } resolves to { response, headers, trailers }', async () => {
    const { response, headers, trailers } = await echo.echo(
      { message: 'hi', delayMs: 0 },
      { withMetadata: true },
    );
    assert.deepEqual(response, { message: 'hi', sequence: 1 });
    assert.deepEqual(headers.get(PEER_HEADER), ['grpc-js']);
    assert.deepEqual(trailers.get(PEER_TRAILER), ['Echo']);
  });

  it('without the option a unary call still resolves to the bare response', async () => {
    assert.deepEqual(await echo.echo({ message: 'plain', delayMs: 0 }), { message: 'plain', sequence: 1 });
  });

  it('a client-streaming call with { withMetadata: true } carries both too', async () => {
    const { response, headers, trailers } = await echo.collect([{ message: 'a' }], { withMetadata: true });
    assert.deepEqual(response, { count: 1, joined: 'a' });
    assert.deepEqual(headers.get(PEER_HEADER), ['grpc-js']);
    assert.deepEqual(trailers.get(PEER_TRAILER), ['Collect']);
  });

  it('a server stream exposes headers once started and trailers once ended', async () => {
    const stream = echo.expand({ message: 'm', count: 2, intervalMs: 0 });
    const sequences: number[] = [];
    for await (const response of stream) sequences.push(response.sequence);
    assert.deepEqual(sequences, [1, 2]);
    assert.deepEqual((await stream.headers).get(PEER_HEADER), ['grpc-js']);
    assert.deepEqual((await stream.trailers).get(PEER_TRAILER), ['Expand']);
  });

  it('a bidi stream exposes headers before its first response and trailers at its end', async () => {
    const chat = echo.chat();
    assert.deepEqual((await chat.headers).get(PEER_HEADER), ['grpc-js'], 'headers arrive before any write');
    await chat.write({ message: 'x', delayMs: 0 });
    chat.end();
    for await (const response of chat) assert.equal(response.message, 'x');
    assert.deepEqual((await chat.trailers).get(PEER_TRAILER), ['Chat']);
  });
});
