// `npm run bench:telemetry`: what NestMesh's own gRPC tracing costs a server, in one run.
// The same NestMesh server (unary GetStock) runs in one process per telemetry mode:
//   none  — no OpenTelemetry SDK in the process (the API is a no-op);
//   off   — startTelemetry() with OTEL_TRACES_SAMPLER=always_off: tracing off, metrics on;
//   0.01  — startTelemetry() with OTEL_TRACES_SAMPLER=parentbased_traceidratio, ARG=0.01;
//   100 % — startTelemetry() with OTEL_TRACES_SAMPLER=parentbased_always_on.
// No OTLP endpoint is set, so sampled spans go to the SDK's embedded default, the in-process
// trace buffer (the last 300 traces, served at /debug/traces); the RPC histogram is recorded
// in every mode but "none". h2load sends no traceparent: every call is a root span.
//
// How it compares, on a shared machine whose speed moves by tens of percent from one minute to
// the next: two servers at a time, both pinned to core 0, each saturated by its own h2load
// (both on core 1) over the same seconds. Whatever slows the core slows both alike, and the
// scheduler gives two busy processes on one core equal time, so the ratio of their calls in
// the window — and of their CPU time per call, read from /proc — is the ratio of their
// capacities. Each comparison runs several pairs of fresh processes (a process's own luck — its
// heap layout, its JIT's choices — moves a ratio by a few percent, so one pair is not enough),
// spawned in alternating order, a few windows each, and is reported as the median of all the
// windows' ratios. A pair of two identical
// servers ("off" against "off") shows how far that gauge moves with nothing changed.
// Env: BENCH_PAIRS (6 pairs of processes per comparison), BENCH_ROUNDS (2 measured windows per
// pair, after a warm-up window), BENCH_SECONDS (10, the length of one window).
import { Client, credentials } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { createMeshClient } from '@nestmesh/grpc';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';

import { RESPONSE } from './fixture.js';
import { cleanup, h2loadFor, type H2loadResult } from './h2load.js';
import { requireCommand, startServer, type ServerProcess } from './processes.js';
import { median } from './stats.js';

const pairs = Number(process.env.BENCH_PAIRS ?? 6);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

requireCommand('h2load', 'nghttp2-client');
requireCommand('taskset', 'util-linux');

type Mode = 'none' | 'off' | '0.01' | '100 %';

const MODES: Record<Mode, { label: string; env: NodeJS.ProcessEnv }> = {
  none: { label: 'no SDK at all (API no-op)', env: {} },
  off: {
    label: 'SDK, tracing off (metrics on)',
    env: { BENCH_TELEMETRY: 'sdk', OTEL_TRACES_SAMPLER: 'always_off' },
  },
  '0.01': {
    label: 'SDK, parent-based ratio 0.01',
    env: {
      BENCH_TELEMETRY: 'sdk',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    },
  },
  '100 %': {
    label: 'SDK, 100 % sampled',
    env: { BENCH_TELEMETRY: 'sdk', OTEL_TRACES_SAMPLER: 'parentbased_always_on' },
  },
};

/** Each pair: the mode measured, its baseline, and the loss allowed (issue 10's targets). */
const PAIRS: { mode: Mode; baseline: Mode; target?: number; what: string }[] = [
  { mode: 'off', baseline: 'off', what: 'two identical servers: the gauge with nothing changed' },
  { mode: '0.01', baseline: 'off', target: 0.03, what: 'tracing at ratio 0.01' },
  { mode: '100 %', baseline: 'off', target: 0.15, what: 'tracing every call' },
  { mode: 'off', baseline: 'none', what: 'the SDK with its RPC duration histogram, no tracing' },
];

async function verify(server: ServerProcess): Promise<void> {
  const channel = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  const client = createMeshClient(InventoryServiceService, channel, { timeoutMs: 5000, streamTimeoutMs: 0 });
  assert.deepEqual(await client.getStock({ sku: 'A-1' }), RESPONSE, `${server.kind} answers`);
  channel.close();
}

/** What h2load sent a server: its own count must lie between what succeeded and what started. */
class Sent {
  succeeded = 1; // verify()'s call
  started = 1;
  add(result: H2loadResult): void {
    this.succeeded += result.succeeded;
    this.started += result.started;
  }
}

interface Round {
  callsRatio: number;
  cpuRatio: number;
  mode: { callsPerSecond: number; cpuUsPerCall: number };
  baseline: { callsPerSecond: number; cpuUsPerCall: number };
}

/** Loads both servers over the same seconds; each one's calls and CPU µs per call. */
async function window(servers: ServerProcess[], sent: Sent[], length: number) {
  const cpuBefore = servers.map((server) => server.cpuSeconds());
  const results = await Promise.all(
    servers.map((server) =>
      h2loadFor({ port: server.port, clients: 10, streams: 50, core: 1, seconds: length }),
    ),
  );
  return results.map((result, index) => {
    sent[index].add(result);
    const cpuSeconds = servers[index].cpuSeconds() - cpuBefore[index];
    return { callsPerSecond: result.callsPerSecond, cpuUsPerCall: (cpuSeconds * 1e6) / result.succeeded };
  });
}

async function measurePair(mode: Mode, baseline: Mode): Promise<Round[]> {
  const measured: Round[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const order: Mode[] = pair % 2 === 0 ? [mode, baseline] : [baseline, mode];
    const servers: ServerProcess[] = [];
    try {
      for (const each of order)
        servers.push(await startServer('nestmesh', 0, MODES[each].env, MODES[each].label));
      for (const server of servers) await verify(server);
      const sent = servers.map(() => new Sent());
      await window(servers, sent, Math.max(2, Math.round(seconds / 2))); // warm-up: JIT, heap
      for (let round = 0; round < rounds; round++) {
        const [first, second] = await window(servers, sent, seconds);
        const [ofMode, ofBaseline] = pair % 2 === 0 ? [first, second] : [second, first];
        measured.push({
          callsRatio: ofMode.callsPerSecond / ofBaseline.callsPerSecond,
          cpuRatio: ofBaseline.cpuUsPerCall / ofMode.cpuUsPerCall,
          mode: ofMode,
          baseline: ofBaseline,
        });
      }
      const handled: number[] = [];
      while (servers.length > 0) handled.push(await servers.shift()!.stop());
      handled.forEach((count, index) =>
        assert.ok(
          count >= sent[index].succeeded && count <= sent[index].started,
          `${MODES[order[index]].label}: handled ${count}, h2load saw ${sent[index].succeeded} succeed of ${sent[index].started} sent`,
        ),
      );
    } finally {
      for (const server of servers) await server.stop().catch(() => undefined);
    }
  }
  return measured;
}

const ratio = (value: number) => `${value.toFixed(3)}×`;
const loss = (value: number, target?: number) =>
  `${((1 - value) * 100).toFixed(1)} %${target === undefined ? '' : ` (target ≤ ${target * 100} %)`}`;

async function run(): Promise<void> {
  console.log(
    `\n### NestMesh server with tracing: pairs on one core at once (h2load -c 10 -m 50 each; ${pairs} pairs of processes × ${rounds} windows of ${seconds} s)\n`,
  );
  console.log(
    '| mode | against | calls/s (median, mode / against) | CPU µs per call (median, mode / against) | capacity by calls | by CPU per call | loss (by calls) | each window, by calls |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const pair of PAIRS) {
    const measured = await measurePair(pair.mode, pair.baseline);
    const calls = median(measured.map((round) => round.callsRatio));
    const cpu = median(measured.map((round) => round.cpuRatio));
    const modeCalls = median(measured.map((round) => round.mode.callsPerSecond));
    const baselineCalls = median(measured.map((round) => round.baseline.callsPerSecond));
    const modeCpu = median(measured.map((round) => round.mode.cpuUsPerCall));
    const baselineCpu = median(measured.map((round) => round.baseline.cpuUsPerCall));
    console.log(
      `| ${MODES[pair.mode].label} | ${MODES[pair.baseline].label} | ${Math.round(modeCalls)} / ${Math.round(baselineCalls)} | ${modeCpu.toFixed(1)} / ${baselineCpu.toFixed(1)} | ${ratio(calls)} | ${ratio(cpu)} | ${loss(calls, pair.target)} | ${measured.map((round) => round.callsRatio.toFixed(3)).join(' ')} |`,
    );
  }
  console.log(
    '\nCapacity = calls/s of the mode ÷ calls/s of the server it ran beside (and the inverse ratio of their CPU time per call); loss = 1 − capacity; medians over all windows.',
  );
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`);
try {
  await run();
} finally {
  cleanup();
}
