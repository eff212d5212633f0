import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startAppProcess, waitFor, type AppProcess } from '@nestmesh/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);
/** Seven processes and four servers on two shared cores: 15 s when quiet, minutes when busy (the runner allows a hook 240 s). */
const STACK_START_MS = 200_000;
/** The stack's etcd lease TTL (stack.ts: ?ttl=5) and the order app's inventory deadline (5 s). */
const LEASE_TTL_MS = 5_000;
const INVENTORY_DEADLINE_MS = 5_000;
/** A liveness bound for the loaded machine; the stack's own measured times are printed. */
const SETTLE_MS = 60_000;

/** `npm run mesh -- <args>` as a user runs it (the built script). */
async function mesh(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(root, 'apps/demo/dist/mesh.js'), ...args], {
    cwd: root,
    timeout: 60_000,
  });
  return stdout;
}

/** The servers of one HAProxy backend that are up (HAProxy's stats CSV: pxname, svname, …, status). */
async function upServers(statsUrl: string, backend: string): Promise<string[]> {
  const csv = await (await fetch(`${statsUrl};csv`)).text();
  return csv
    .split('\n')
    .map((line) => line.split(','))
    .filter(([proxy, server, , , , , , , , , , , , , , , , status]) => {
      return proxy === backend && server !== 'BACKEND' && server !== 'FRONTEND' && status?.startsWith('UP');
    })
    .map(([, server]) => server);
}

/**
 * POST /orders through the edge with an Idempotency-Key, retried (same key) on a 5xx or a
 * refused connection until it is placed: a client's safe retry. Resolves with the order id.
 */
async function placeOrder(edge: string, signal: AbortSignal): Promise<string> {
  const key = randomUUID();
  return waitFor(
    async () => {
      const response = await fetch(`${edge}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify({ items: [{ sku: 'A-1', quantity: 1 }] }),
        signal: AbortSignal.timeout(INVENTORY_DEADLINE_MS * 3),
      });
      // A retry, the same key: the failure is the last error waitFor reports if none succeeds.
      if (response.status >= 500) throw new Error(`${response.status} ${await response.text()}`);
      const body = (await response.json()) as { id?: string };
      assert.equal(response.status, 201, JSON.stringify(body));
      return body.id;
    },
    { timeoutMs: SETTLE_MS, intervalMs: 200, signal, description: 'an order placed through HAProxy' },
  );
}

describe('npm run start:stack: the compose topology as local processes', { timeout: 900_000 }, () => {
  let stack: AppProcess;
  let edge: string;
  let prometheus: string;
  let stats: string;

  before(async () => {
    stack = await startAppProcess(join(root, 'apps/demo/dist/stack/stack.js'), {
      env: { ORDERS_PER_SECOND: '2', STOCK_READS_PER_SECOND: '4' },
      readyPattern: /stack ready edge=(\S+) grpc-edge=(\S+) prometheus=(\S+)/,
      timeoutMs: STACK_START_MS,
    });
    [, edge, , prometheus] = stack.ready;
    stats = /stats (http:\S+\/stats)/.exec(stack.output())![1];
  });
  after(async () => {
    // The stack's own output (its URLs, a crash's stack trace) for whoever reads a failed run.
    const log = join(tmpdir(), `nestmesh-stack-e2e-${process.pid}.log`);
    writeFileSync(log, stack?.output() ?? '');
    process.stderr.write(`start:stack output: ${log}\n`);
    const exit = await stack?.stop('SIGTERM');
    assert.ok(exit === undefined || [0, 'SIGTERM'].includes(exit), `the stack exited with ${String(exit)}`);
  });

  it('HAProxy serves the order and inventory instances it learned from discovery', async (t) => {
    const [orders, inventories] = await waitFor(
      async () => {
        const both = [await upServers(stats, 'order-http'), await upServers(stats, 'inventory-grpc')];
        return both[0].length === 2 && both[1].length === 3 && both;
      },
      {
        timeoutMs: SETTLE_MS,
        signal: t.signal,
        description: '2 order and 3 inventory servers up in HAProxy',
      },
    );
    t.diagnostic(`order-http: ${orders.join(' ')}; inventory-grpc: ${inventories.join(' ')}`);
    assert.match(await mesh('status'), /inventory-3\s+running/);
  });

  it('orders placed through HAProxy succeed while one inventory is killed and another paused', async (t) => {
    const killed = await mesh('kill', 'inventory-1');
    assert.match(killed, /inventory-1 is stopped/);
    assert.match(await mesh('pause', 'inventory-2'), /inventory-2 is paused/);
    try {
      const ids = new Set<string>();
      for (let index = 0; index < 10; index++) ids.add(await placeOrder(edge, t.signal));
      assert.equal(ids.size, 10, 'ten orders, none placed twice');
      // The killed one leaves HAProxy's inventory backend once its lease expires (TTL) and the
      // sync drains it; the paused one too, its lease unrenewed.
      const left = performance.now();
      await waitFor(async () => (await upServers(stats, 'inventory-grpc')).length === 1, {
        timeoutMs: LEASE_TTL_MS + SETTLE_MS,
        signal: t.signal,
        description: 'HAProxy to keep only the live inventory',
      });
      t.diagnostic(
        `inventory-grpc down to 1 server ${Math.round(performance.now() - left)} ms after the orders`,
      );
    } finally {
      await mesh('resume', 'inventory-2');
    }
    const started = performance.now();
    await mesh('start', 'inventory-1');
    const ready = performance.now();
    await waitFor(async () => (await upServers(stats, 'inventory-grpc')).length === 3, {
      timeoutMs: SETTLE_MS,
      signal: t.signal,
      description: 'HAProxy to serve all three inventories again',
    });
    t.diagnostic(
      `inventory-1 restarted in ${Math.round(ready - started)} ms; in HAProxy ${Math.round(performance.now() - ready)} ms after`,
    );
  });

  it('the real Prometheus has request rates for both apps', async (t) => {
    const query = async (promql: string) => {
      const body = (await (
        await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`)
      ).json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data.result;
    };
    const rates = await waitFor(
      async () => {
        const order = await query('sum by (job) (rate(http_server_request_duration_seconds_count[1m]))');
        const inventory = await query('sum by (job) (rate(rpc_server_call_duration_seconds_count[1m]))');
        const positive = (series: typeof order, job: string) =>
          series.some((each) => each.metric.job === job && Number(each.value[1]) > 0);
        return positive(order, 'order') && positive(inventory, 'inventory') && [...order, ...inventory];
      },
      {
        timeoutMs: SETTLE_MS,
        intervalMs: 1000,
        signal: t.signal,
        description: 'rates for order and inventory',
      },
    );
    t.diagnostic(
      rates.map((series) => `${series.metric.job} ${Number(series.value[1]).toFixed(2)}/s`).join(', '),
    );
  });

  it('restart-redis: AOF brings the data back, and orders keep succeeding', async (t) => {
    assert.match(await mesh('restart-redis'), /started again/);
    assert.ok(await placeOrder(edge, t.signal));
  });
});
