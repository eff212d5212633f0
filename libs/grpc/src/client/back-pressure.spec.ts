import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';

import { EchoPeer, startEchoPeerWithClient } from '../test-fixtures/echo-peer.js';
import type { MeshClient } from './typed-client.js';

/** 64 KiB per request: the HTTP/2 stream window (64 KiB by default) holds at most one. */
const MESSAGE = 'x'.repeat(64 * 1024);
const REQUESTS = 200;
/**
 * Requests sent but not yet read by the server can only fill the buffers between them: the
 * client's writable buffer (grpc-js: 16 messages), the HTTP/2 flow-control windows, the
 * server's readable buffer (16); about 1.1 MiB measured here, bounded at 3 MiB. Without
 * back-pressure a writer would be all REQUESTS (12.5 MiB) ahead.
 */
const MOST_AHEAD = Math.floor((3 * 1024 * 1024) / MESSAGE.length);

describe('mesh client: back-pressure on a slow server reader', { timeout: 120_000 }, () => {
  let peer: EchoPeer;
  let echo: MeshClient<typeof EchoServiceService>;
  let close = () => {};

  before(async () => {
    ({ peer, echo, close } = await startEchoPeerWithClient(
      // Collect's response joins every request: 12.5 MiB, above grpc-js' 4 MiB default.
      { 'grpc.max_receive_message_length': 16 * 1024 * 1024 },
    ));
    peer.readDelayMs = 1;
  });
  after(() => close());

  /** Counts reads on the server and records how far ahead of them the client's count was. */
  function probe(sent: () => number) {
    const seen = { reads: 0, mostAhead: 0 };
    peer.onRead = () => {
      seen.reads++;
      seen.mostAhead = Math.max(seen.mostAhead, sent() - seen.reads);
    };
    return seen;
  }

  it('a Chat writer awaiting write() never runs more than a few buffers ahead of the reader', async () => {
    let written = 0;
    const seen = probe(() => written);
    const chat = echo.chat();
    const responses = (async () => {
      let count = 0;
      for await (const response of chat) count += response.message.length > 0 ? 1 : 0;
      return count;
    })();
    for (let index = 0; index < REQUESTS; index++) {
      await chat.write({ message: MESSAGE, delayMs: 0 });
      written++;
    }
    chat.end();
    assert.equal(await responses, REQUESTS);
    assert.equal(seen.reads, REQUESTS);
    assert.ok(seen.mostAhead <= MOST_AHEAD, `the writer ran ${seen.mostAhead} requests ahead`);
  });

  it('Collect pulls from its source only as fast as the server reads', async () => {
    let produced = 0;
    const seen = probe(() => produced);
    async function* requests() {
      for (let index = 0; index < REQUESTS; index++) {
        await Promise.resolve();
        produced++;
        yield { message: MESSAGE };
      }
    }
    const response = await echo.collect(requests());
    assert.equal(response.count, REQUESTS);
    assert.ok(seen.mostAhead <= MOST_AHEAD, `the source ran ${seen.mostAhead} requests ahead`);
  });
});
