import assert from 'node:assert/strict';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnOwned, waitFor } from '@nestmesh/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

it('the embedded demo (npm start) serves orders and stops cleanly on Ctrl-C, even when it arrives twice', async () => {
  const demo = spawnOwned(process.execPath, [join(root, 'apps/demo/dist/main.js')], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  demo.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  demo.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(demo, 'exit') as Promise<[code: number | null, signal: NodeJS.Signals | null]>;
  try {
    // The ready line and the examples after it (separate writes: they may arrive apart).
    await waitFor(() => stdout.includes('NestMesh demo ready') && /curl -s \S+\/stock\/A-1\n/.test(stdout), {
      timeoutMs: 60_000, // a bound for a loaded machine: a few seconds when quiet
      description: 'the ready line and the examples',
    }).catch((error: Error) => {
      throw new Error(`${error.message}; it printed:\n${stdout}${stderr}`);
    });
    assert.equal(
      stdout.match(/^inventory #\d+ +gRPC 127\.0\.0\.1:\d+/gm)?.length,
      2,
      'two inventory instances with their ports',
    );
    const url = /HTTP (http:\/\/[\d.]+:\d+)/.exec(stdout)![1];
    assert.match(stdout, /curl -s -X POST/);

    const placed = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ items: [{ sku: 'A-1', quantity: 2 }] }),
    });
    assert.equal(placed.status, 201);
    const { id } = (await placed.json()) as { id: string };
    assert.equal((await fetch(`${url}/orders/${id}`)).status, 200);
  } finally {
    // Under `npm start` one Ctrl-C reaches the demo twice (the terminal's and npm's forward).
    demo.kill('SIGINT');
    setTimeout(() => demo.kill('SIGINT'), 20).unref();
    // It drains within its drain timeouts; one that hangs instead is killed (and fails below).
    setTimeout(() => demo.kill('SIGKILL'), 60_000).unref();
  }
  const [code] = await exited;
  assert.equal(code, 0, `exit code (stderr: ${stderr})`);
  assert.match(stdout, /stopped/);
  assert.doesNotMatch(stdout + stderr, /Error|\n\s+at /, 'no errors or stack traces');
});
