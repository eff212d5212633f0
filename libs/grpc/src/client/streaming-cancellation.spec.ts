import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { waitFor } from '@nestmesh/testing';
import { setTimeout as sleep } from 'node:timers/promises';

import { RpcError } from '../grpc.errors.js';
import { EchoPeer, startEchoPeerWithClient } from '../test-fixtures/echo-peer.js';
import { createMeshClient, type MeshClient } from './typed-client.js';

/** The RpcError `promise` rejects with; fails the test when it resolves or rejects otherwise. */
async function rpcError(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/**
 * Requests that never end, one every 20 ms, until the iteration is stopped. (A source stuck
 * inside its own `await` cannot be stopped by anyone until it yields again.)
 */
function endless(stopped: { value: boolean }) {
  return (async function* () {
    try {
      for (;;) {
        yield { message: 'more' };
        await sleep(20);
      }
    } finally {
      stopped.value = true;
    }
  })();
}

describe(
  'mesh client: cancelling and deadlines of streaming calls, seen by the server',
  { timeout: 60_000 },
  () => {
    let peer: EchoPeer;
    let echo: MeshClient<typeof EchoServiceService>;
    let close = () => {};

    before(async () => {
      ({ peer, echo, close } = await startEchoPeerWithClient());
    });
    after(() => close());

    it('aborting the signal of a Chat cancels it on the server; reading throws CANCELLED', async () => {
      const controller = new AbortController();
      const cancelled = peer.cancellation('Chat');
      const chat = echo.chat({ signal: controller.signal });
      await chat.write({ message: 'hello', delayMs: 0 });
      const reader = chat[Symbol.asyncIterator]();
      assert.deepEqual((await reader.next()).value, { message: 'hello', sequence: 1 });
      controller.abort();
      await cancelled;
      assert.equal((await rpcError(reader.next())).status, Status.CANCELLED);
    });

    it('breaking out of a Chat loop cancels it on the server', async () => {
      await using fresh = await freshPeer();
      const cancelled = fresh.peer.cancellation('Chat');
      const chat = fresh.echo.chat();
      await chat.write({ message: 'one', delayMs: 0 });
      for await (const response of chat) {
        assert.equal(response.sequence, 1);
        break;
      }
      await cancelled;
    });

    it('aborting a Collect cancels it on the server, stops the request source and rejects CANCELLED', async () => {
      await using fresh = await freshPeer();
      const controller = new AbortController();
      const stopped = { value: false };
      const cancelled = fresh.peer.cancellation('Collect');
      const read = new Promise<void>((resolve) => (fresh.peer.onRead = resolve));
      const result = fresh.echo.collect(endless(stopped), { signal: controller.signal });
      await read;
      controller.abort();
      assert.equal((await rpcError(result)).status, Status.CANCELLED);
      await cancelled;
      await waitFor(() => stopped.value, { description: 'the request source stopped' });
    });

    it('a deadline passing in the middle of a Chat fails it with DEADLINE_EXCEEDED on both sides', async () => {
      await using fresh = await freshPeer();
      const cancelled = fresh.peer.cancellation('Chat');
      // Long enough for a first round trip on a busy machine; the stream then idles past it.
      const chat = fresh.echo.chat({ timeoutMs: 1500 });
      const reader = chat[Symbol.asyncIterator]();
      await chat.write({ message: 'before', delayMs: 0 });
      assert.deepEqual((await reader.next()).value, { message: 'before', sequence: 1 });
      const error = await rpcError(reader.next());
      assert.equal(error.status, Status.DEADLINE_EXCEEDED);
      await cancelled;
      await assert.rejects(chat.write({ message: 'after', delayMs: 0 }), (rejected: unknown) => {
        return rejected instanceof RpcError && rejected.status === Status.DEADLINE_EXCEEDED;
      });
    });

    it("a Collect whose source outlives the client's streamTimeoutMs fails with DEADLINE_EXCEEDED", async () => {
      await using fresh = await freshPeer({ streamTimeoutMs: 1500 });
      const stopped = { value: false };
      const read = new Promise<void>((resolve) => (fresh.peer.onRead = resolve));
      const result = fresh.echo.collect(endless(stopped));
      await read;
      assert.equal((await rpcError(result)).status, Status.DEADLINE_EXCEEDED);
      await waitFor(() => stopped.value, { description: 'the request source stopped' });
    });

    it('a signal aborted before the call sends nothing', async () => {
      const signal = AbortSignal.abort();
      assert.equal((await rpcError(echo.collect([{ message: 'x' }], { signal }))).status, Status.CANCELLED);
      const chat = echo.chat({ signal });
      assert.equal((await rpcError(chat.write({ message: 'x', delayMs: 0 }))).status, Status.CANCELLED);
      assert.equal((await rpcError(chat[Symbol.asyncIterator]().next())).status, Status.CANCELLED);
    });
  },
);

/** A peer of its own, for a test that waits for the first cancellation of a method. */
async function freshPeer(defaults: { streamTimeoutMs?: number } = {}) {
  const peer = await EchoPeer.start();
  const channel = new Client(`127.0.0.1:${peer.port}`, credentials.createInsecure());
  const echo = createMeshClient(EchoServiceService, channel, {
    timeoutMs: 5000,
    streamTimeoutMs: defaults.streamTimeoutMs ?? 0,
  });
  return {
    peer,
    echo,
    [Symbol.asyncDispose]: () => {
      channel.close();
      peer.stop();
      return Promise.resolve();
    },
  };
}
