// `npm run bench:tls`: NestMesh server capacity over plaintext, TLS and mutual TLS, in one run.
// Three NestMesh server processes (pinned to core 0), configured by GRPC_TLS_* as an operator
// would, loaded in turn by h2load (core 1), several alternating rounds, medians:
// - plaintext and TLS: h2load direct (h2c, and https: h2load speaks TLS itself);
// - TLS and mutual TLS through a local HAProxy (core 1) that originates the TLS, with a client
//   certificate for mTLS: h2load 1.52 cannot present one. The pair isolates the client
//   certificate's cost; the proxy's own cost lands on core 1, not on the server measured.
// Besides calls/s, the server's CPU time per call (from /proc) says what TLS costs the server
// even when the load side limits the rate. Env: BENCH_ROUNDS (5), BENCH_REQUESTS (100000).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Client, credentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { channelCredentialsFor, createMeshClient } from '@nestmesh/grpc';
import { createTestCa, startHaproxy, type TestCa } from '@nestmesh/testing';

import { RESPONSE } from './fixture.js';
import { cleanup, h2load } from './h2load.js';
import { requireCommand, startServer, type ServerProcess } from './processes.js';
import { medianSample, type Sample } from './stats.js';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const requests = Number(process.env.BENCH_REQUESTS ?? 100_000);

requireCommand('h2load', 'nghttp2-client');
requireCommand('taskset', 'util-linux');

interface Mode {
  name: string;
  server: ServerProcess;
  /** Where h2load sends its load, and how. */
  port: number;
  scheme: 'http' | 'https';
  transport: { credentials: ChannelCredentials; channelOptions: ChannelOptions };
}

async function verify(mode: Mode): Promise<void> {
  const { credentials: channelCredentials, channelOptions } = mode.transport;
  const channel = new Client(`127.0.0.1:${mode.server.port}`, channelCredentials, channelOptions);
  const client = createMeshClient(InventoryServiceService, channel, { timeoutMs: 5000, streamTimeoutMs: 0 });
  assert.deepEqual(await client.getStock({ sku: 'A-1' }), RESPONSE, `${mode.name} answers`);
  channel.close();
}

async function certificates(ca: TestCa) {
  const server = await ca.issue('inventory', { dns: ['inventory'], ips: ['127.0.0.1'] });
  const client = await ca.issue('bench-client', { dns: ['bench-client'] });
  const clientPem = join(ca.dir, 'bench-client.pem');
  writeFileSync(clientPem, `${client.cert}${client.key}`);
  return { server, client, clientPem };
}

/** HAProxy in TCP mode: plaintext h2c in, TLS (mTLS with `crt`) out to the server, pinned to core 1. */
async function tlsOrigination(ca: TestCa, clientPem: string, tlsPort: number, mtlsPort: number) {
  const backend = (port: number, extra: string) =>
    `  server s1 127.0.0.1:${port} ssl verify required ca-file ${ca.caFile} sni str(inventory) alpn h2${extra}`;
  const proxy = await startHaproxy({
    ports: ['tls', 'mtls'],
    config: (ports) =>
      [
        'defaults',
        '  mode tcp',
        '  timeout connect 5s',
        '  timeout client 60s',
        '  timeout server 60s',
        `frontend tls_in`,
        `  bind 127.0.0.1:${ports.tls}`,
        '  default_backend tls_out',
        'backend tls_out',
        backend(tlsPort, ''),
        'frontend mtls_in',
        `  bind 127.0.0.1:${ports.mtls}`,
        '  default_backend mtls_out',
        'backend mtls_out',
        backend(mtlsPort, ` crt ${clientPem}`),
      ].join('\n'),
  });
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(proxy.pid)], { stdio: 'ignore' });
  return proxy;
}

function row(
  mode: string,
  sample: Sample & { cpuUsPerCall: number },
  base?: Sample & { cpuUsPerCall: number },
) {
  const ratio = (value: number, baseValue?: number) =>
    baseValue ? `${(value / baseValue).toFixed(3)}×` : '—';
  return `| ${mode} | ${Math.round(sample.callsPerSecond)} | ${sample.p50Ms.toFixed(2)} | ${sample.p99Ms.toFixed(2)} | ${sample.cpuUsPerCall.toFixed(1)} | ${ratio(sample.callsPerSecond, base?.callsPerSecond)} | ${ratio(sample.cpuUsPerCall, base?.cpuUsPerCall)} |`;
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model}), Node ${process.version}`);
const ca = await createTestCa('bench-ca');
const files = await certificates(ca);
const tlsEnv = {
  GRPC_TLS_CERT: files.server.certFile,
  GRPC_TLS_KEY: files.server.keyFile,
  GRPC_TLS_CA: ca.caFile,
};
const plaintextServer = await startServer('nestmesh', 0, {}, 'plaintext');
const tlsServer = await startServer('nestmesh', 0, tlsEnv, 'tls');
const mtlsServer = await startServer('nestmesh', 0, { ...tlsEnv, GRPC_TLS_CLIENT_AUTH: 'require' }, 'mtls');
const proxy = await tlsOrigination(ca, files.clientPem, tlsServer.port, mtlsServer.port);
const plain = { credentials: credentials.createInsecure(), channelOptions: {} };
const clientTls = { caFile: ca.caFile, certFile: files.client.certFile, keyFile: files.client.keyFile };
const modes: Mode[] = [
  {
    name: 'plaintext (h2c)',
    server: plaintextServer,
    port: plaintextServer.port,
    scheme: 'http',
    transport: plain,
  },
  {
    name: 'TLS (h2load https)',
    server: tlsServer,
    port: tlsServer.port,
    scheme: 'https',
    transport: channelCredentialsFor({ caFile: ca.caFile }),
  },
  {
    name: 'TLS (via HAProxy)',
    server: tlsServer,
    port: proxy.ports.tls,
    scheme: 'http',
    transport: channelCredentialsFor({ caFile: ca.caFile }),
  },
  {
    name: 'mutual TLS (via HAProxy, client certificate)',
    server: mtlsServer,
    port: proxy.ports.mtls,
    scheme: 'http',
    transport: channelCredentialsFor(clientTls),
  },
];
for (const mode of modes) await verify(mode);
const samples = new Map<string, (Sample & { cpuUsPerCall: number })[]>();
const sent = new Map<ServerProcess, number>(modes.map((mode) => [mode.server, 1]));
for (let round = 0; round < rounds; round++) {
  const order = [...modes.slice(round % modes.length), ...modes.slice(0, round % modes.length)];
  for (const mode of order) {
    const load = { port: mode.port, scheme: mode.scheme, clients: 10, streams: 50, core: 1 };
    const warm = h2load({ ...load, requests: Math.round(requests / 10) });
    const cpuBefore = mode.server.cpuSeconds();
    const sample = h2load({ ...load, requests });
    const cpuUsPerCall = ((mode.server.cpuSeconds() - cpuBefore) * 1e6) / sample.succeeded;
    sent.set(mode.server, sent.get(mode.server)! + warm.succeeded + sample.succeeded);
    samples.set(mode.name, [...(samples.get(mode.name) ?? []), { ...sample, cpuUsPerCall }]);
  }
}
await proxy.stop();
for (const server of [plaintextServer, tlsServer, mtlsServer]) {
  // Every call h2load counted as a 200 was a GetStock the server ran (+1 per verification call).
  const verified = modes.filter((mode) => mode.server === server).length;
  assert.equal(await server.stop(), sent.get(server)! + verified - 1, `${server.kind}: calls handled`);
}
await ca.close();
cleanup();

const medians = new Map(
  [...samples].map(([name, list]) => {
    const median = medianSample(list);
    const cpu = list.map((each) => each.cpuUsPerCall).sort((a, b) => a - b)[Math.floor(list.length / 2)];
    return [name, { ...median, cpuUsPerCall: cpu }];
  }),
);
const base = medians.get(modes[0].name)!;
console.log(
  `\n### NestMesh server over TLS (h2load -c 10 -m 50, ${requests} calls × ${rounds} rounds, medians)\n`,
);
console.log(
  '| mode | calls/s | p50 ms | p99 ms | server CPU µs/call | calls/s vs plaintext | CPU/call vs plaintext |',
);
console.log('|---|---|---|---|---|---|---|');
for (const mode of modes)
  console.log(row(mode.name, medians.get(mode.name)!, mode === modes[0] ? undefined : base));
