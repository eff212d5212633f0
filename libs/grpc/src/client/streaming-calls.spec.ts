import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { from } from 'rxjs';

import { RequestStreamError } from '../grpc.errors.js';
import { EchoPeer, startEchoPeerWithClient } from '../test-fixtures/echo-peer.js';
import type { MeshClient } from './typed-client.js';

type Echo = MeshClient<typeof EchoServiceService>;

/** Rejects with what `promise` rejects with, failing the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

async function drain(iterable: AsyncIterable<unknown>): Promise<unknown[]> {
  const items: unknown[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe(
  'mesh client: client streaming and bidirectional calls against a raw grpc-js server',
  { timeout: 60_000 },
  () => {
    let peer: EchoPeer;
    let echo: Echo;
    let close = () => {};

    before(async () => {
      ({ peer, echo, close } = await startEchoPeerWithClient());
    });
    after(() => close());

    it('Collect sends every request of an async iterable and resolves to the response', async () => {
      async function* requests() {
        for (const message of ['a', 'b', 'c']) {
          await turn();
          yield { message };
        }
      }
      assert.deepEqual(await echo.collect(requests()), { count: 3, joined: 'a b c' });
    });

    it('Collect takes an array and an rxjs Observable too', async () => {
      assert.deepEqual(await echo.collect([{ message: 'x' }, { message: 'y' }]), { count: 2, joined: 'x y' });
      assert.deepEqual(await echo.collect(from([{ message: 'o' }, { message: 'p' }])), {
        count: 2,
        joined: 'o p',
      });
      assert.deepEqual(await echo.collect([]), { count: 0, joined: '' });
    });

    it('Chat answers each written request in order, and ends after end()', async () => {
      const chat = echo.chat();
      const responses = drain(chat);
      for (const message of ['one', 'two', 'three']) await chat.write({ message, delayMs: 0 });
      chat.end();
      assert.deepEqual(await responses, [
        { message: 'one', sequence: 1 },
        { message: 'two', sequence: 2 },
        { message: 'three', sequence: 3 },
      ]);
      await assert.rejects(chat.write({ message: 'late', delayMs: 0 }), RequestStreamError);
    });

    it('a request source that throws fails Collect with its own error and cancels the call', async () => {
      const cancelled = peer.cancellation('Collect');
      async function* requests() {
        yield { message: 'first' };
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('source broke');
      }
      const error = await rejection(echo.collect(requests()));
      assert.equal((error as Error).message, 'source broke');
      await cancelled;
    });

    it('a request source that is not a stream is refused with RequestStreamError', async () => {
      const error = await rejection(echo.collect(42 as never));
      assert.ok(error instanceof RequestStreamError, String(error));
    });
  },
);
