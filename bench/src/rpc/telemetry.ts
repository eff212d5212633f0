// `npm run bench:telemetry`: what NestMesh's own gRPC tracing costs a server, in one run.
// Four NestMesh servers (each its own process, pinned to core 0) answer unary GetStock under
// h2load (pinned to core 1), in alternating rounds:
//   none  — no OpenTelemetry SDK in the process (the API is a no-op);
//   off   — startTelemetry() with OTEL_TRACES_SAMPLER=always_off: tracing off, metrics on;
//   0.01  — startTelemetry() with OTEL_TRACES_SAMPLER=parentbased_traceidratio, ARG=0.01;
//   100 % — startTelemetry() with OTEL_TRACES_SAMPLER=parentbased_always_on.
// No OTLP endpoint is set, so sampled spans go to the SDK's embedded default, the in-process
// trace buffer (the last 300 traces, served at /debug/traces); the RPC histograms are recorded
// in every mode but "none". h2load sends no traceparent: every call is a root. The tracing
// targets are measured against "off" (the "tracing off"); "none" shows what the
// metrics themselves cost.
// Env: BENCH_ROUNDS (5), BENCH_REQUESTS (h2load requests per run, 100000).
import { Client, credentials } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { createMeshClient } from '@nestmesh/grpc';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';

import { RESPONSE } from './fixture.js';
import { cleanup, h2load } from './h2load.js';
import { requireCommand, startServer, type ServerProcess } from './processes.js';
import { median, medianSample, type Sample } from './stats.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const requests = Number(process.env.BENCH_REQUESTS ?? 100_000);

requireCommand('h2load', 'nghttp2-client');
requireCommand('taskset', 'util-linux');

/** The telemetry settings compared, with the loss each may cost vs tracing off (issue 10's targets). */
const MODES = [
  { label: 'no SDK at all (API no-op)', env: {}, target: undefined },
  {
    label: 'SDK, tracing off (metrics on)',
    env: { BENCH_TELEMETRY: 'sdk', OTEL_TRACES_SAMPLER: 'always_off' },
    target: undefined,
  },
  {
    label: 'SDK, parent-based ratio 0.01',
    env: {
      BENCH_TELEMETRY: 'sdk',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    },
    target: 0.03,
  },
  {
    label: 'SDK, 100 % sampled',
    env: { BENCH_TELEMETRY: 'sdk', OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
    target: 0.15,
  },
];

async function verify(server: ServerProcess): Promise<void> {
  const channel = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  const client = createMeshClient(InventoryServiceService, channel, { timeoutMs: 5000, streamTimeoutMs: 0 });
  assert.deepEqual(await client.getStock({ sku: 'A-1' }), RESPONSE, `${server.kind} answers`);
  channel.close();
}

/**
 * The ratio to "off" in each round (measured a minute apart at most, under the same load from
 * the machine's other tenants) and their median: steadier here than a ratio of medians.
 */
function row(
  label: string,
  samples: readonly Sample[],
  baseline: readonly Sample[],
  target?: number,
): string {
  const sample = medianSample(samples);
  const ratios = samples.map((each, round) => each.callsPerSecond / baseline[round].callsPerSecond);
  const ratio = median(ratios);
  const loss =
    target === undefined ? '—' : `${((1 - ratio) * 100).toFixed(1)} % (target ≤ ${target * 100} %)`;
  const rounds = ratios.map((value) => value.toFixed(2)).join(' ');
  return `| ${label} | ${Math.round(sample.callsPerSecond)} | ${sample.p50Ms.toFixed(2)} | ${sample.p99Ms.toFixed(2)} | ${ratio.toFixed(3)}× | ${loss} | ${rounds} |`;
}

async function run(): Promise<void> {
  const servers: ServerProcess[] = [];
  for (const mode of MODES) servers.push(await startServer('nestmesh', 0, mode.env, mode.label));
  for (const server of servers) await verify(server);
  const samples = new Map<string, Sample[]>();
  const sent = new Map<string, number>();
  /** Server CPU µs per call in each round: capacity on a dedicated core, steadier than calls/s here. */
  const cpu = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    const order = [...servers.slice(round % servers.length), ...servers.slice(0, round % servers.length)];
    for (const server of order) {
      const load = { port: server.port, clients: 10, streams: 50, core: 1 };
      const warm = h2load({ ...load, requests: Math.round(requests / 10) });
      const cpuBefore = server.cpuSeconds();
      const sample = h2load({ ...load, requests });
      cpu.set(server.kind, [
        ...(cpu.get(server.kind) ?? []),
        ((server.cpuSeconds() - cpuBefore) * 1e6) / sample.succeeded,
      ]);
      sent.set(server.kind, (sent.get(server.kind) ?? 1) + warm.succeeded + sample.succeeded);
      samples.set(server.kind, [...(samples.get(server.kind) ?? []), sample]);
    }
  }
  for (const server of servers) {
    const handled = await server.stop();
    assert.equal(handled, sent.get(server.kind), `${server.kind}: server's own count matches h2load's`);
  }
  const none = samples.get(MODES[0].label)!;
  const off = samples.get(MODES[1].label)!;
  console.log(
    `\n### NestMesh server with tracing (h2load -c 10 -m 50, ${requests} calls × ${rounds} rounds)\n`,
  );
  console.log(
    '| telemetry | calls/s (median) | p50 ms | p99 ms | vs tracing off (median of rounds) | capacity loss | each round vs tracing off |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const mode of MODES) console.log(row(mode.label, samples.get(mode.label)!, off, mode.target));
  console.log(
    '\nServer CPU per call (user + system, from /proc; its inverse is the capacity of a dedicated core):\n',
  );
  console.log(
    '| telemetry | CPU µs/call (median) | vs tracing off (median of rounds) | capacity loss | each round |',
  );
  console.log('|---|---|---|---|---|');
  const offCpu = cpu.get(MODES[1].label)!;
  for (const mode of MODES) {
    const perCall = cpu.get(mode.label)!;
    const ratios = perCall.map((value, round) => offCpu[round] / value);
    const ratio = median(ratios);
    const loss =
      mode.target === undefined
        ? '—'
        : `${((1 - ratio) * 100).toFixed(1)} % (target ≤ ${mode.target * 100} %)`;
    console.log(
      `| ${mode.label} | ${median(perCall).toFixed(1)} | ${ratio.toFixed(3)}× | ${loss} | ${ratios.map((value) => value.toFixed(2)).join(' ')} |`,
    );
  }
  console.log(
    `\nThe metrics (rpc.server.call.duration) themselves: ${row('SDK, tracing off (metrics on)', off, none, undefined).split('|')[5].trim()} of a server with no SDK (median of rounds).`,
  );
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`);
await run();
cleanup();
