import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { Client, credentials, status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { waitFor } from '@nestmesh/testing';

import { RpcError } from '../grpc.errors.js';
import { EncodingPeer, type ReceivedCall } from '../test-fixtures/encoding-peer.js';
import { registryOf, startEchoClient } from '../test-fixtures/retry-peers.js';
import type { MeshChannelOptions } from './channel-options.js';
import { createMeshClient, type MeshClient } from './typed-client.js';

type Echo = MeshClient<typeof EchoServiceService>;

const { echo: ECHO, collect: COLLECT, chat: CHAT } = EchoServiceService;

/** How the last call to `path` arrived at the peer. */
function lastCall(peer: EncodingPeer, path: string): ReceivedCall {
  const calls = peer.callsTo(path);
  assert.ok(calls.length > 0, `no call to ${path} arrived`);
  return calls[calls.length - 1];
}

function assertGzip(call: ReceivedCall): void {
  assert.equal(call.encoding, 'gzip', `${call.path} arrived with grpc-encoding ${call.encoding}`);
  assert.ok(
    call.compressedFlags.length > 0 && call.compressedFlags.every(Boolean),
    String(call.compressedFlags),
  );
}

function assertPlain(call: ReceivedCall): void {
  assert.ok(call.encoding === undefined || call.encoding === 'identity', `grpc-encoding ${call.encoding}`);
  assert.ok(
    call.compressedFlags.length > 0 && !call.compressedFlags.some(Boolean),
    String(call.compressedFlags),
  );
}

async function chatOnce(echo: Echo, message: string, options: { compression?: 'gzip' | 'identity' } = {}) {
  const chat = echo.chat(options);
  await chat.write({ message, delayMs: 0 });
  chat.end();
  const answers: string[] = [];
  for await (const response of chat) answers.push(response.message);
  return answers;
}

describe('mesh client: per-call compression', { timeout: 60_000 }, () => {
  const peers: EncodingPeer[] = [];
  const apps: INestApplicationContext[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  after(() => Promise.all(peers.map((peer) => peer.stop())));

  /** A caller app whose mesh client dials `echo`, registered in discovery at a fresh EncodingPeer. */
  async function start(
    options: MeshChannelOptions = {},
  ): Promise<{ peer: EncodingPeer; echo: Echo; app: INestApplicationContext }> {
    const peer = await EncodingPeer.start();
    peers.push(peer);
    const url = await registryOf('echo', [peer.port]);
    const { app, echo } = await startEchoClient(url, 'echo', { timeoutMs: 10_000, ...options });
    apps.push(app);
    return { peer, app, echo };
  }

  it('an identity channel sends a call with compression: gzip compressed, and the others plain', async () => {
    const { peer, echo } = await start();
    assert.equal((await echo.echo({ message: 'plain', delayMs: 0 })).message, 'plain');
    assertPlain(lastCall(peer, ECHO.path));
    assert.equal(
      (await echo.echo({ message: 'zipped', delayMs: 0 }, { compression: 'gzip' })).message,
      'zipped',
    );
    assertGzip(lastCall(peer, ECHO.path));
    assert.equal((await echo.echo({ message: 'plain again', delayMs: 0 })).message, 'plain again');
    assertPlain(lastCall(peer, ECHO.path));

    const collected = await echo.collect([{ message: 'a' }, { message: 'b' }], { compression: 'gzip' });
    assert.deepEqual(collected, { count: 2, joined: 'a b' });
    assertGzip(lastCall(peer, COLLECT.path));
    assert.deepEqual(await chatOnce(echo, 'hello', { compression: 'gzip' }), ['hello']);
    assertGzip(lastCall(peer, CHAT.path));
    assert.deepEqual(await chatOnce(echo, 'hello'), ['hello']);
    assertPlain(lastCall(peer, CHAT.path));
    // The gzip calls went over a sibling channel of their own: a second connection.
    assert.equal(peer.sessions.size, 2);
  });

  it('a gzip channel sends a call with compression: identity plain; one with gzip stays on the channel', async () => {
    const { peer, echo } = await start({ compression: 'gzip' });
    await echo.echo({ message: 'zipped', delayMs: 0 });
    assertGzip(lastCall(peer, ECHO.path));
    await echo.echo({ message: 'zipped', delayMs: 0 }, { compression: 'gzip' });
    assertGzip(lastCall(peer, ECHO.path));
    assert.equal(peer.sessions.size, 1, "the channel's own compression opens no sibling");

    await echo.echo({ message: 'plain', delayMs: 0 }, { compression: 'identity' });
    assertPlain(lastCall(peer, ECHO.path));
    assert.deepEqual(await echo.collect([{ message: 'x' }], { compression: 'identity' }), {
      count: 1,
      joined: 'x',
    });
    assertPlain(lastCall(peer, COLLECT.path));
    assert.deepEqual(await chatOnce(echo, 'hi', { compression: 'identity' }), ['hi']);
    assertPlain(lastCall(peer, CHAT.path));
    await echo.echo({ message: 'deflated', delayMs: 0 }, { compression: 'deflate' });
    assert.equal(lastCall(peer, ECHO.path).encoding, 'deflate');
    assert.equal(peer.sessions.size, 3, 'one sibling per compression used');
  });

  it('closing the app closes the sibling channels with the main one', async () => {
    const { peer, echo, app } = await start();
    await echo.echo({ message: 'plain', delayMs: 0 });
    await echo.echo({ message: 'zipped', delayMs: 0 }, { compression: 'gzip' });
    await echo.echo({ message: 'deflated', delayMs: 0 }, { compression: 'deflate' });
    assert.equal(peer.sessions.size, 3);
    await app.close();
    apps.splice(apps.indexOf(app), 1);
    await waitFor(() => peer.sessions.size === 0, { description: 'every connection of the client to close' });
    const error = await echo
      .echo({ message: 'late', delayMs: 0 }, { compression: 'gzip' })
      .catch((caught: unknown) => caught);
    assert.ok(error instanceof Error, 'a call after close fails');
    assert.equal(peer.sessions.size, 0, 'a call after close opens no sibling');
  });

  it('refuses an unknown compression with INVALID_ARGUMENT before sending anything, for every kind', async () => {
    const { peer, echo } = await start();
    const brotli = { compression: 'brotli' as never };
    const isInvalid = (error: unknown) =>
      error instanceof RpcError &&
      error.status === Status.INVALID_ARGUMENT &&
      /compression/.test(error.message);
    await assert.rejects(echo.echo({ message: 'x', delayMs: 0 }, brotli), isInvalid);
    await assert.rejects(echo.collect([{ message: 'x' }], brotli), isInvalid);
    await assert.rejects(async () => {
      for await (const response of echo.expand({ message: 'x', count: 1, intervalMs: 0 }, brotli))
        void response;
    }, isInvalid);
    const chat = echo.chat(brotli);
    await assert.rejects(chat.write({ message: 'x', delayMs: 0 }), isInvalid);
    await assert.rejects(async () => {
      for await (const response of chat) void response;
    }, isInvalid);
    assert.equal(peer.calls.length, 0, 'nothing reached the server');
  });

  it('a client over a bare grpc-js Client refuses a per-call compression with FAILED_PRECONDITION', async () => {
    const peer = await EncodingPeer.start();
    peers.push(peer);
    const channel = new Client(`127.0.0.1:${peer.port}`, credentials.createInsecure());
    try {
      const echo = createMeshClient(EchoServiceService, channel, { timeoutMs: 10_000, streamTimeoutMs: 0 });
      await assert.rejects(
        echo.echo({ message: 'x', delayMs: 0 }, { compression: 'gzip' }),
        (error: unknown) => error instanceof RpcError && error.status === Status.FAILED_PRECONDITION,
      );
      assert.equal((await echo.echo({ message: 'plain', delayMs: 0 })).message, 'plain');
      assert.equal(peer.calls.length, 1);
    } finally {
      channel.close();
    }
  });
});
