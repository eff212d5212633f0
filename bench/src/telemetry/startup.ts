// Startup cost of telemetry: how long `node apps/<app>/dist/main.js` takes to print its ready
// line, and the CPU it burns until then, with telemetry off (OTEL_SDK_DISABLED=true), on (the
// default: NestMesh's own spans and metrics; then with the OTLP exporter loaded) and on with the opt-in auto-instrumentations
// (OTEL_NODE_ENABLED_INSTRUMENTATIONS=http,ioredis, which loads the import-in-the-middle hook).
// Modes alternate within each round, so a machine whose load drifts affects all three alike.
// `node bench/dist/telemetry/startup.js [rounds]` (default 7); medians are printed.
import { startAppProcess } from '@nestmesh/testing';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const rounds = Number(process.argv[2] ?? 7);
const apps = [
  { name: 'order', script: 'apps/order/dist/main.js', env: { PORT: '0' }, ready: /order ready/ },
  { name: 'inventory', script: 'apps/inventory/dist/main.js', env: {}, ready: /inventory ready/ },
];
const modes: Record<string, Record<string, string>> = {
  off: { OTEL_SDK_DISABLED: 'true' },
  on: {},
  // Loads the OTLP http/protobuf exporter (protobufjs); port 9 (discard) receives nothing.
  'on + OTLP exporter': { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' },
  'on + http,ioredis': { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,ioredis' },
};

/** User + system CPU of a running process, in ms (Linux /proc; clock ticks are 100 Hz there). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

for (const app of apps) {
  const samples = new Map(
    Object.keys(modes).map((mode) => [mode, { wallMs: [] as number[], cpuMs: [] as number[] }]),
  );
  for (let round = 0; round < rounds; round++) {
    for (const [mode, env] of Object.entries(modes)) {
      const startedAt = performance.now();
      const child = await startAppProcess(join(root, app.script), {
        env: { ...app.env, ...env, NESTMESH_QUIET: '1' },
        readyPattern: app.ready,
        timeoutMs: 120_000,
      });
      const wallMs = performance.now() - startedAt;
      const sample = samples.get(mode)!;
      sample.wallMs.push(wallMs);
      sample.cpuMs.push(cpuMs(child.child.pid!));
      await child.stop('SIGKILL');
    }
  }
  for (const [mode, { wallMs, cpuMs: cpu }] of samples) {
    console.log(
      `${app.name.padEnd(10)} ${mode.padEnd(18)} ready in ${Math.round(median(wallMs))} ms (median of ${rounds}), ` +
        `CPU ${Math.round(median(cpu))} ms`,
    );
  }
}
