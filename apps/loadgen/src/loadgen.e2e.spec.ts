import assert from 'node:assert/strict';
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  SPAN_KIND,
  spawnOwned,
  startAppProcess,
  startOtlpReceiver,
  waitFor,
  type AppProcess,
  type OtlpReceiver,
} from '@nestmesh/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LOADGEN = join(root, 'apps/loadgen/dist/main.js');
const REPORT_MS = 1000;
// Far above any answer time on a loaded machine: a timeout here would be a bug, not load.
const TIMEOUT_MS = 20_000;
// Bounds for a loaded machine (a few seconds when quiet), not claims about speed.
const START_TIMEOUT_MS = 60_000;

const INTERVAL_LINE = /^loadgen interval [\d.]+s \| .*$/gm;

/** `{ ok, failed, timeout, … }` of one kind in a summary line. */
function countsOf(line: string, kind: string): Record<string, string> {
  const section = line.split(' | ').find((part) => part.startsWith(`${kind} `)) ?? '';
  return Object.fromEntries(
    section
      .split(' ')
      .slice(1)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

const KINDS = ['order', 'stock-http', 'stock-grpc'];

describe('loadgen against the embedded demo', { timeout: 240_000 }, () => {
  let demo: AppProcess | undefined;
  let receiver: OtlpReceiver | undefined;
  let orderUrl = '';
  let inventoryTarget = '';

  before(async () => {
    receiver = await startOtlpReceiver();
    demo = await startAppProcess(join(root, 'apps/demo/dist/main.js'), {
      env: { PORT: '0', RESTOCK_INTERVAL_MS: '0' },
      readyPattern: /NestMesh demo ready/,
      timeoutMs: START_TIMEOUT_MS,
    });
    orderUrl = /HTTP (http:\/\/[\d.]+:\d+)/.exec(demo.output())![1]!;
    inventoryTarget = /^inventory #1 +gRPC ([\d.]+:\d+)/m.exec(demo.output())![1]!;
  });
  after(async () => {
    await demo?.stop('SIGKILL');
    await receiver?.stop();
  });

  it('places orders and reads stock over HTTP and gRPC without failures, stops on SIGTERM with exit 0 and the totals', async () => {
    const loadgen = await startAppProcess(LOADGEN, {
      env: {
        ORDER_URL: orderUrl,
        STOCK_GRPC_TARGET: inventoryTarget,
        LOADGEN_SKUS: 'A-1', // 1000 units: never sold out within this test
        LOADGEN_REPORT_MS: String(REPORT_MS),
        LOADGEN_TIMEOUT_MS: String(TIMEOUT_MS),
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver!.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http',
      },
      readyPattern: /^loadgen ready .*$/m,
      timeoutMs: START_TIMEOUT_MS,
    });
    try {
      assert.equal(
        loadgen.ready[0],
        `loadgen ready order=${orderUrl} grpc=${inventoryTarget} rate=5/s orders, 10/s stock reads`,
      );
      const busyIntervals = () =>
        (loadgen.output().match(INTERVAL_LINE) ?? []).filter((line) =>
          KINDS.every((kind) => Number(countsOf(line, kind).ok) > 0),
        );
      await waitFor(() => busyIntervals().length >= 2, {
        timeoutMs: START_TIMEOUT_MS,
        description: 'two summary lines with answers of every kind',
      }).catch((error: Error) => {
        throw new Error(`${error.message}; it printed:\n${loadgen.output()}`);
      });
    } finally {
      assert.equal(await loadgen.stop('SIGTERM'), 0, `exit status; it printed:\n${loadgen.output()}`);
    }
    const output = loadgen.output();
    for (const line of output.match(INTERVAL_LINE) ?? []) {
      for (const kind of KINDS) {
        assert.equal(countsOf(line, kind).failed, '0', `${kind} failures in: ${line}`);
        assert.equal(countsOf(line, kind).timeout, '0', `${kind} timeouts in: ${line}`);
      }
    }
    const total = /^loadgen total [\d.]+s \| .*$/m.exec(output)?.[0];
    assert.ok(total, `a final summary in:\n${output}`);
    const intervals = output.match(INTERVAL_LINE) ?? [];
    for (const kind of KINDS) {
      const sum = intervals.reduce((ok, line) => ok + Number(countsOf(line, kind).ok), 0);
      assert.equal(Number(countsOf(total, kind).ok), sum, `the ${kind} total is the sum of its intervals`);
      assert.equal(countsOf(total, kind).failed, '0');
    }
    assert.doesNotMatch(output, /Error|\n\s+at /, 'no errors or stack traces');

    // Its requests start traces: the http instrumentation's and NestMesh's gRPC client spans,
    // exported on SIGTERM at the latest.
    const spans = receiver!
      .spans()
      .filter((span) => span.service === 'loadgen' && span.kind === SPAN_KIND.CLIENT);
    const roots = spans.filter((span) => span.parentSpanId === undefined);
    assert.ok(
      roots.some(
        (span) =>
          span.scope === '@opentelemetry/instrumentation-http' &&
          span.attributes['http.request.method'] === 'POST',
      ),
      `an HTTP client span for POST /orders among ${JSON.stringify(roots.map((span) => [span.scope, span.name]))}`,
    );
    assert.ok(
      roots.some(
        (span) => span.scope === '@nestmesh/grpc' && span.name === 'inventory.v1.InventoryService/GetStock',
      ),
      'a gRPC client span for GetStock',
    );
  });
});

describe('loadgen configuration', { timeout: 120_000 }, () => {
  async function runWith(env: Record<string, string>) {
    const child = spawnOwned(process.execPath, [LOADGEN], {
      env: { ...process.env, ORDER_URL: undefined, STOCK_GRPC_TARGET: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, output };
  }

  it('a bad value stops it at start with exit 1, naming the variable', async () => {
    const { code, output } = await runWith({ ORDER_URL: 'http://127.0.0.1:1', LOADGEN_MAX_IN_FLIGHT: '0' });
    assert.equal(code, 1, output);
    assert.match(output, /^loadgen: LOADGEN_MAX_IN_FLIGHT must be a whole number from 1 to 10000, got "0"$/m);
    assert.doesNotMatch(output, /loadgen ready|\n\s+at /, 'no start, no stack trace');
  });

  it('without ORDER_URL it stops at start, naming it', async () => {
    const { code, output } = await runWith({});
    assert.equal(code, 1, output);
    assert.match(output, /^loadgen: ORDER_URL is required/m);
  });
});
