import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAppProcess, waitFor, type AppProcess } from '@nestmesh/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ANSI = '\x1b[';
/** Starting a Nest app is CPU-bound (about 3 s of CPU): on a machine at load 20 it took 30 s. */
const START_TIMEOUT_MS = 120_000;
/** No colour settings from the environment the tests run in: each test sets its own. */
const plain = { FORCE_COLOR: undefined, NO_COLOR: undefined };

async function withProcess(
  script: string,
  options: { env: Record<string, string | undefined>; readyPattern: RegExp },
  test: (app: AppProcess) => void | Promise<void>,
): Promise<void> {
  const app = await startAppProcess(join(root, script), { ...options, timeoutMs: START_TIMEOUT_MS });
  try {
    await test(app);
  } finally {
    await app.stop('SIGTERM');
  }
}

describe('log output into a pipe', { timeout: 300_000 }, () => {
  it('order and inventory write no ANSI colour codes into a pipe; FORCE_COLOR=1 would add them', async () => {
    // allSettled: every process is stopped before the test ends, even when one check fails.
    const outcomes = await Promise.allSettled([
      withProcess(
        'apps/order/dist/main.js',
        { env: { ...plain, PORT: '0' }, readyPattern: /order ready http=(\S+)/ },
        (order) => {
          assert.match(order.output(), /LOG \[NestApplication\]/, 'Nest logged');
          assert.ok(!order.output().includes(ANSI), JSON.stringify(order.output().slice(0, 200)));
        },
      ),
      withProcess(
        'apps/inventory/dist/main.js',
        { env: plain, readyPattern: /inventory ready/ },
        (inventory) => {
          assert.match(inventory.output(), /LOG \[MeshGrpcServer\]/);
          assert.ok(!inventory.output().includes(ANSI));
        },
      ),
      // The same check sees colours when they are there.
      withProcess(
        'apps/inventory/dist/main.js',
        { env: { ...plain, FORCE_COLOR: '1' }, readyPattern: /inventory ready/ },
        (inventory) => assert.ok(inventory.output().includes(ANSI)),
      ),
    ]);
    for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
  });
});

describe('npm start (the embedded demo) honours RESTOCK_INTERVAL_MS', { timeout: 300_000 }, () => {
  it('restocks a sold-out SKU on the configured interval, and logs without colours', async () => {
    const everyMs = 250;
    await withProcess(
      'apps/demo/dist/main.js',
      {
        env: { ...plain, PORT: '0', RESTOCK_INTERVAL_MS: String(everyMs), NESTMESH_VERBOSE: '1' },
        readyPattern: /HTTP (http:\/\/[\d.]+:\d+)/,
      },
      async (demo) => {
        const url = demo.ready[1];
        assert.match(demo.output(), new RegExp(`runs the restock job every ${everyMs} ms`));
        const available = async () =>
          ((await (await fetch(`${url}/stock/C-3`)).json()) as { available: number }).available;
        /** Buys all of C-3, then waits for the leader to restock it; resolves with when it saw that. */
        const sellOutAndAwaitRestock = async () => {
          const sold = await fetch(`${url}/orders`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ items: [{ sku: 'C-3', quantity: await available() }] }),
          });
          assert.equal(sold.status, 201);
          await waitFor(async () => (await available()) >= 100, {
            timeoutMs: 10_000,
            intervalMs: 50,
            description: 'C-3 restocked',
          });
          return performance.now();
        };
        // Two restocks in a row: with the old hard-coded 10 s interval they would be at least
        // 10 s apart; at 250 ms that leaves 40 intervals for a busy machine.
        const first = await sellOutAndAwaitRestock();
        const second = await sellOutAndAwaitRestock();
        assert.ok(second - first < 10_000, `restocks ${Math.round(second - first)} ms apart`);
        assert.match(demo.output(), /restocked C-3/);
        assert.ok(!demo.output().includes(ANSI), 'no colour codes in the piped output');
      },
    );
  });

  it('RESTOCK_INTERVAL_MS=0 turns the job off', () =>
    withProcess(
      'apps/demo/dist/main.js',
      { env: { ...plain, PORT: '0', RESTOCK_INTERVAL_MS: '0' }, readyPattern: /NestMesh demo ready/ },
      async (demo) => {
        await waitFor(() => demo.output().includes('restock job is off'), { description: 'the notice' });
        assert.doesNotMatch(demo.output(), /leader: runs the restock job/);
      },
    ));
});
