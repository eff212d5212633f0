import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';

import { SnapshotStream } from './snapshot-stream.js';

/** Opens the stream; resolves each data line as it arrives through `onEvent`. */
function open(url: string, onEvent: (data: string) => void): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, (response) => {
      let buffered = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffered += chunk;
        const events = buffered.split('\n\n');
        buffered = events.pop()!;
        for (const event of events) {
          const data = event.split('\n').find((line) => line.startsWith('data: '));
          if (data) onEvent(data.slice('data: '.length));
        }
      });
      resolve(response);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('SnapshotStream (server-sent events)', { timeout: 30_000 }, () => {
  const refreshMs = 100;
  let collected = 0;
  const stream = new SnapshotStream(() => Promise.resolve({ round: ++collected }), refreshMs);
  let server: Server;
  let url: string;

  after(async () => {
    stream.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('sends a snapshot at once on connect, then one per period; one collection per period for all pages', async () => {
    server = createServer((_request, response) => stream.add(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    const received: number[][] = [[], [], [], [], []];
    const responses = await Promise.all(
      received.map((list) => open(url, (data) => list.push((JSON.parse(data) as { round: number }).round))),
    );
    assert.equal(responses[0].headers['content-type'], 'text/event-stream; charset=utf-8');
    await until(
      () => received.every((list) => list.length >= 4),
      20 * refreshMs * 10,
      'four events on every page',
    );
    // Every page saw the same rounds: a round is collected once and sent to all.
    const common = received
      .map((list) => new Set(list))
      .reduce((a, b) => new Set([...a].filter((round) => b.has(round))));
    assert.ok(common.size >= 2, `pages share rounds: ${JSON.stringify(received)}`);
    assert.ok(collected <= Math.max(...received.map((list) => list.at(-1)!)) + 1, 'no collection per page');
    assert.equal(stream.size, 5);
    for (const response of responses) response.destroy();
    await until(() => stream.size === 0, 5000, 'closed pages to leave');
  });

  it('with no page left, nothing is collected; close() ends open streams and refuses new ones', async () => {
    await new Promise((resolve) => setTimeout(resolve, refreshMs * 3));
    const idle = collected;
    await new Promise((resolve) => setTimeout(resolve, refreshMs * 3));
    assert.equal(collected, idle, 'the timer stopped with the last page');

    const events: string[] = [];
    const response = await open(url, (data) => events.push(data));
    await until(() => events.length >= 1, 5000, 'the first event');
    const ended = new Promise<void>((resolve) => response.once('end', resolve));
    stream.close();
    await ended;
    assert.equal(stream.size, 0);
    const refused = await open(url, () => undefined);
    assert.equal(refused.statusCode, 503);
    refused.resume();
  });
});
