import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, status as Status } from '@grpc/grpc-js';
import { EchoServiceService } from '@nestmesh/contracts/echo/v1';
import { requireBinary, signalAndWait, spawnOwned, waitFor } from '@nestmesh/testing';

import { RpcError } from '../grpc.errors.js';
import { createMeshClient, type MeshClient } from './typed-client.js';

// The script stays in src (tsc copies no .py): dist/client → src/test-fixtures.
const SCRIPT = fileURLToPath(new URL('../../src/test-fixtures/echo_peer.py', import.meta.url));

interface PythonPeer {
  child: ChildProcess;
  port: number;
  /** Resolves once the peer printed `line` (e.g. "ended Chat": it saw the call end). */
  printed(line: string): Promise<void>;
}

/** Starts the grpcio peer; resolves with its port and what it prints. */
async function startPythonPeer(): Promise<PythonPeer> {
  // Debian's python3-grpcio is installed for Debian's python3, which a pyenv or venv on PATH hides.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  requireBinary(python, 'python3-grpcio');
  const child = spawnOwned(python, [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  const portLine = await waitFor(() => {
    if (child.exitCode !== null)
      throw new Error(`echo_peer.py exited with ${child.exitCode} (python3-grpcio missing?)`);
    return lines.find((line) => line.startsWith('port '));
  });
  const printed = async (line: string) => {
    await waitFor(() => lines.includes(line), { description: `echo_peer.py to print "${line}"` });
  };
  return { child, port: Number(portLine.slice('port '.length)), printed };
}

describe(
  'mesh client against a Python grpcio server (client streaming and bidi)',
  { timeout: 60_000 },
  () => {
    let python: PythonPeer;
    let channel: Client;
    let echo: MeshClient<typeof EchoServiceService>;

    before(async () => {
      python = await startPythonPeer();
      channel = new Client(`127.0.0.1:${python.port}`, credentials.createInsecure(), {
        'grpc.default_compression_algorithm': 2,
      });
      echo = createMeshClient(EchoServiceService, channel, { timeoutMs: 10_000, streamTimeoutMs: 10_000 });
    });
    after(async () => {
      channel?.close();
      python?.child.stdin?.end();
      await signalAndWait(python?.child, 'SIGTERM');
    });

    it('Collect: every request of an async iterable, gzip-compressed, with headers and trailers', async () => {
      async function* requests() {
        for (const message of ['from', 'node', 'to', 'python']) {
          await Promise.resolve();
          yield { message };
        }
      }
      const { response, headers, trailers } = await echo.collect(requests(), { withMetadata: true });
      assert.deepEqual(response, { count: 4, joined: 'from node to python' });
      assert.deepEqual(headers.get('x-peer'), ['grpcio']);
      assert.deepEqual(trailers.get('x-trailer'), ['Collect']);
    });

    it('Chat: answers each request in order; trailers at the end', async () => {
      const chat = echo.chat();
      const received: unknown[] = [];
      for (const message of ['a', 'b', 'c']) {
        await chat.write({ message, delayMs: 0 });
      }
      chat.end();
      for await (const response of chat) received.push(response);
      assert.deepEqual(received, [
        { message: 'a', sequence: 1 },
        { message: 'b', sequence: 2 },
        { message: 'c', sequence: 3 },
      ]);
      assert.deepEqual((await chat.trailers).get('x-trailer'), ['Chat']);
    });

    it('Chat: aborting the signal fails the call CANCELLED, and the server sees it end', async () => {
      const controller = new AbortController();
      const chat = echo.chat({ signal: controller.signal });
      await chat.write({ message: 'hello', delayMs: 0 });
      const reader = chat[Symbol.asyncIterator]();
      assert.deepEqual((await reader.next()).value, { message: 'hello', sequence: 1 });
      await chat.write({ message: 'hang', delayMs: 0 });
      await python.printed('hanging Chat');
      controller.abort();
      await assert.rejects(
        reader.next(),
        (error: unknown) => error instanceof RpcError && error.status === Status.CANCELLED,
      );
      await python.printed('ended Chat');
      // The channel is still good for the next call.
      assert.deepEqual(await echo.collect([{ message: 'next' }]), { count: 1, joined: 'next' });
    });

    it('Collect: a deadline in the middle of the stream fails it with DEADLINE_EXCEEDED; the server sees it end', async () => {
      async function* slow() {
        yield { message: 'first' };
        yield { message: 'hang' };
        await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
      }
      await assert.rejects(
        echo.collect(slow(), { timeoutMs: 500 }),
        (error: unknown) => error instanceof RpcError && error.status === Status.DEADLINE_EXCEEDED,
      );
      await python.printed('ended Collect');
    });
  },
);
