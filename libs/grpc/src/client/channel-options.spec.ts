import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';

import { InvalidGrpcOptionsError, RpcError } from '../grpc.errors.js';
import { CountingRelay, EchoPeer } from '../test-fixtures/echo-peer.js';
import { grpcChannelOptions, type MeshChannelOptions } from './channel-options.js';
import { MeshClientModule } from './mesh-client.module.js';
import { createMeshClient } from './typed-client.js';

/** 1 MiB that gzip shrinks to about 1 KiB. */
const COMPRESSIBLE = 'a'.repeat(1024 * 1024);

describe('mesh client: channel options (compression, message sizes, keepalive)', { timeout: 60_000 }, () => {
  let peer: EchoPeer;
  const opened: { close(): void }[] = [];

  before(async () => {
    peer = await EchoPeer.start();
  });
  after(() => {
    for (const resource of opened) resource.close();
    peer?.stop();
  });

  function echoOver(port: number, options: MeshChannelOptions) {
    const channel = new Client(
      `127.0.0.1:${port}`,
      credentials.createInsecure(),
      grpcChannelOptions(options),
    );
    opened.push(channel);
    return createMeshClient(EchoServiceService, channel, { timeoutMs: 10_000, streamTimeoutMs: 10_000 });
  }

  async function bytesSent(options: MeshChannelOptions): Promise<number> {
    const relay = await CountingRelay.start(peer.port);
    opened.push({ close: () => relay.stop() });
    const echo = echoOver(relay.port, { ...options, maxReceiveMessageBytes: 4 * 1024 * 1024 });
    const answer = await echo.echo({ message: COMPRESSIBLE, delayMs: 0 });
    assert.equal(answer.message.length, COMPRESSIBLE.length, 'the server read the whole message');
    const collected = await echo.collect([{ message: COMPRESSIBLE }, { message: COMPRESSIBLE }]);
    assert.equal(collected.count, 2);
    const chat = echo.chat();
    await chat.write({ message: COMPRESSIBLE, delayMs: 0 });
    chat.end();
    for await (const response of chat) assert.equal(response.message.length, COMPRESSIBLE.length);
    return relay.bytesUp;
  }

  it('compression: gzip sends the requests of every kind compressed; the server reads them whole', async () => {
    const plain = await bytesSent({});
    const gzip = await bytesSent({ compression: 'gzip' });
    assert.ok(plain > 4 * COMPRESSIBLE.length, `4 MiB of requests went as ${plain} bytes`);
    assert.ok(gzip < COMPRESSIBLE.length / 16, `4 MiB of compressible requests went as ${gzip} bytes`);
  });

  it('maxSendMessageBytes and maxReceiveMessageBytes fail larger messages with RESOURCE_EXHAUSTED', async () => {
    const limited = echoOver(peer.port, { maxSendMessageBytes: 1024 });
    const sendError = await limited
      .echo({ message: 'x'.repeat(2048), delayMs: 0 })
      .catch((error: unknown) => error);
    assert.ok(
      sendError instanceof RpcError && sendError.status === Status.RESOURCE_EXHAUSTED,
      String(sendError),
    );
    const small = echoOver(peer.port, { maxReceiveMessageBytes: 1024 });
    const receiveError = await small
      .echo({ message: 'y'.repeat(2048), delayMs: 0 })
      .catch((error: unknown) => error);
    assert.ok(
      receiveError instanceof RpcError && receiveError.status === Status.RESOURCE_EXHAUSTED,
      String(receiveError),
    );
    assert.equal((await small.echo({ message: 'fits', delayMs: 0 })).message, 'fits');
  });

  it('maps each option to its grpc-js channel option, and leaves unset ones to grpc-js', () => {
    assert.deepEqual(grpcChannelOptions({}), {});
    assert.deepEqual(
      grpcChannelOptions({
        compression: 'gzip',
        keepaliveTimeMs: 30_000,
        keepaliveTimeoutMs: 5_000,
        keepaliveWithoutCalls: true,
        maxReceiveMessageBytes: -1,
        maxSendMessageBytes: 1024,
      }),
      {
        'grpc.default_compression_algorithm': 2,
        'grpc.keepalive_time_ms': 30_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.max_receive_message_length': -1,
        'grpc.max_send_message_length': 1024,
      },
    );
  });

  it('MeshClientModule.register refuses options that cannot work, naming them', () => {
    const base = { service: 'echo', definition: EchoServiceService };
    const refused: [MeshChannelOptions, string][] = [
      [{ compression: 'brotli' as never }, 'compression'],
      [{ keepaliveTimeMs: 0 }, 'keepaliveTimeMs'],
      [{ keepaliveTimeoutMs: 1.5 }, 'keepaliveTimeoutMs'],
      [{ maxReceiveMessageBytes: 0 }, 'maxReceiveMessageBytes'],
      [{ maxSendMessageBytes: -2 }, 'maxSendMessageBytes'],
    ];
    for (const [options, name] of refused) {
      assert.throws(
        () => MeshClientModule.register({ ...base, ...options }),
        (error: unknown) => error instanceof InvalidGrpcOptionsError && error.option === name,
      );
    }
  });
});
