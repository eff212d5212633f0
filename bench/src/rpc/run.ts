// `npm run bench:rpc`: unary GetStock, NestMesh against its baselines, in one run on this machine.
// 1. Server capacity: raw grpc-js, stock Nest 12 gRPC and NestMesh servers (each its own process,
//    pinned to core 0) loaded in turn by h2load (pinned to core 1), several alternating rounds.
// 2. Client path: one client process (core 0) against two raw grpc-js servers (core 1), with the
//    NestMesh typed client via mesh:///, a raw grpc-js client and Nest's ClientGrpc.
// Env: BENCH_PART (all | server | client), BENCH_ROUNDS (5; the client path uses 7 unless set), BENCH_REQUESTS (h2load requests per
// run, 100000), BENCH_CLIENT_CALLS (calls per client per round at 64 in flight, 10000; a tenth at 1).
import { execFileSync } from 'node:child_process';
import { Client, credentials } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { createMeshClient } from '@nestmesh/grpc';
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { RESPONSE } from './fixture.js';
import { cleanup, h2load } from './h2load.js';
import { requireCommand, startServer, type ServerProcess } from './processes.js';
import { medianSample, type Sample } from './stats.js';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const requests = Number(process.env.BENCH_REQUESTS ?? 100_000);

requireCommand('h2load', 'nghttp2-client');
requireCommand('taskset', 'util-linux');

function row(name: string, sample: Sample, baseline?: Sample, other?: Sample): string {
  const ratio = (base?: Sample) =>
    base ? `${(sample.callsPerSecond / base.callsPerSecond).toFixed(3)}×` : '—';
  return `| ${name} | ${Math.round(sample.callsPerSecond)} | ${sample.p50Ms.toFixed(2)} | ${sample.p99Ms.toFixed(2)} | ${ratio(baseline)} | ${ratio(other)} |`;
}

async function verify(server: ServerProcess): Promise<void> {
  const channel = new Client(`127.0.0.1:${server.port}`, credentials.createInsecure());
  const client = createMeshClient(InventoryServiceService, channel, { timeoutMs: 5000, streamTimeoutMs: 0 });
  assert.deepEqual(
    await client.getStock({ sku: 'A-1' }),
    RESPONSE,
    `${server.kind} answers the expected response`,
  );
  channel.close();
}

async function serverCapacity(): Promise<void> {
  const servers = [
    await startServer('raw', 0),
    await startServer('nest', 0),
    await startServer('nestmesh', 0),
  ];
  for (const server of servers) await verify(server);
  const samples = new Map<string, Sample[]>();
  const sent = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    const order = [...servers.slice(round % 3), ...servers.slice(0, round % 3)];
    for (const server of order) {
      const load = { port: server.port, clients: 10, streams: 50, core: 1 };
      const warm = h2load({ ...load, requests: Math.round(requests / 10) });
      const sample = h2load({ ...load, requests });
      sent.set(server.kind, (sent.get(server.kind) ?? 1) + warm.succeeded + sample.succeeded);
      samples.set(server.kind, [...(samples.get(server.kind) ?? []), sample]);
    }
  }
  for (const server of servers) {
    const handled = await server.stop();
    // +1: the verification call. Every call h2load counted as a 200 was a GetStock the server ran.
    assert.equal(
      handled,
      sent.get(server.kind),
      `${server.kind}: server's own count matches h2load's successes`,
    );
  }
  const [raw, nest, mesh] = ['raw', 'nest', 'nestmesh'].map((kind) => medianSample(samples.get(kind)!));
  console.log(`\n### Server capacity (h2load -c 10 -m 50, ${requests} calls × ${rounds} rounds, medians)\n`);
  console.log('| server | calls/s | p50 ms | p99 ms | vs raw grpc-js | vs stock Nest |');
  console.log('|---|---|---|---|---|---|');
  console.log(row('raw @grpc/grpc-js', raw));
  console.log(row('stock Nest 12 gRPC', nest, raw));
  console.log(row('NestMesh', mesh, raw, nest));
}

async function clientPath(): Promise<void> {
  const servers = [await startServer('raw', 1), await startServer('raw', 1)];
  const output = execFileSync(
    'taskset',
    ['-c', '0', process.execPath, join(here, 'client-path.js'), ...servers.map((s) => String(s.port))],
    {
      encoding: 'utf8',
      env: process.env,
    },
  );
  await Promise.all(servers.map((server) => server.stop()));
  const samples = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, Sample[]>;
  console.log(
    `\n### Client path (one client process on core 0, two server processes on core 1, medians of rounds)\n`,
  );
  console.log(
    '| client | in flight | calls/s | p50 ms | p99 ms | vs raw grpc-js (same deadline) | vs Nest ClientGrpc |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const concurrency of [1, 64]) {
    const [mesh, raw, nest, meshDeadline, rawDeadline] = [
      'nestmesh',
      'raw',
      'nest',
      'nestmesh-deadline',
      'raw-deadline',
    ].map((name) => medianSample(samples[`${name}@${concurrency}`]));
    const line = (name: string, sample: Sample, base?: Sample, other?: Sample) =>
      row(name, sample, base, other).replace(/^\| ([^|]+) \|/, `| $1 | ${concurrency} |`);
    console.log(line('raw @grpc/grpc-js (static ipv4: target)', raw));
    console.log(line('Nest ClientGrpc (static ipv4: target)', nest, raw));
    console.log(line('NestMesh typed client (mesh:///inventory)', mesh, raw, nest));
    console.log(line('raw @grpc/grpc-js, 5 s deadline per call', rawDeadline, raw));
    console.log(line('NestMesh, default 5 s deadline per call', meshDeadline, rawDeadline, nest));
  }
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`);
const part = process.env.BENCH_PART ?? 'all'; // all | server | client
if (part !== 'client') await serverCapacity();
if (part !== 'server') await clientPath();
cleanup();
