// The scale benchmark's tables (markdown, as docs/benchmarks.md shows them).
import { percentile } from '../rpc/stats.js';
import type { ChangeResult, RestartResult, StepResult } from './scenario.js';

export interface RegistryRun {
  name: string;
  separate: boolean;
  /** By client mode: `all` (no subsetting) and `subset`. */
  growth: Record<string, StepResult[]>;
  spread: Record<string, { calls: number; failed: number; maxOverMean: number; minOverMean: number }>;
  changes?: ChangeResult;
  restarts?: RestartResult[];
  /** Registrations that failed (request deadline) and were tried again. */
  registrationsRetried?: number;
}

interface Settings {
  instances: number;
  clientCount: number;
  instanceHostCount: number;
  clientHostCount: number;
  changes: number;
  callsPerClient: number;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : 'never');
const fixed = (value: number | undefined, digits = 1) => (value === undefined ? '—' : value.toFixed(digits));

function table(title: string, header: string[], rows: string[][]): void {
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

export function report(runs: readonly RegistryRun[], settings: Settings): void {
  console.log(
    `Node ${process.version}; ${settings.instances} instances in ${settings.instanceHostCount} processes, ` +
      `${settings.clientCount} clients in ${settings.clientHostCount} processes (etcd; memory: one process, ${Math.ceil(settings.clientCount / settings.clientHostCount)} clients); ` +
      `${process.env.BENCH_NOTE ?? ''}`,
  );
  for (const run of runs)
    console.log(`${run.name}: ${run.registrationsRetried ?? 0} registrations failed and were tried again`);
  table(
    'Growth: registration and what clients saw (subsetting on; memory and CPU per client: etcd only)',
    [
      'registry',
      'clients',
      'instances',
      'registered/s',
      'register p99 ms',
      'all clients have it, ms',
      'RSS/client MiB',
      'heap/client MiB',
      'CPU ms/client/100 joined',
    ],
    runs.flatMap((run) =>
      Object.entries(run.growth).flatMap(([mode, steps]) =>
        steps.map((step) => [
          run.name,
          mode === 'subset' ? 'subset 20' : 'all instances',
          String(step.instances),
          step.registeredPerSecond.toFixed(0),
          step.registerP99Ms.toFixed(0),
          ms(step.reachedAllMs),
          fixed(step.rssPerClientMiB),
          fixed(step.heapPerClientMiB),
          fixed(step.cpuMsPerClientPer100),
        ]),
      ),
    ),
  );
  table(
    `One instance added or removed (${settings.changes} of each) at ${settings.instances}: registry → every client's resolver, ms`,
    [
      'registry',
      'client p50',
      'client p99',
      'all clients p50',
      'all clients p99',
      'all clients max',
      'pairs within 1 s',
    ],
    runs.flatMap(({ name, changes }) => {
      if (!changes) return [];
      const within = changes.perClientMs.filter((each) => each <= 1_000).length / changes.perClientMs.length;
      return [
        [
          name,
          ms(percentile(changes.perClientMs, 50)),
          ms(percentile(changes.perClientMs, 99)),
          ms(percentile(changes.allClientsMs, 50)),
          ms(percentile(changes.allClientsMs, 99)),
          ms(Math.max(...changes.allClientsMs)),
          `${(within * 100).toFixed(1)} %`,
        ],
      ];
    }),
  );
  table(
    `Mass restart: all ${settings.instances} deregister, then register again`,
    [
      'registry',
      'jitter ms',
      'register p50 ms',
      'register p99 ms',
      'etcd requests',
      'etcd peak req/s (100 ms)',
      'clients converged p50 ms',
      'max ms',
    ],
    runs.flatMap(({ name, restarts }) =>
      (restarts ?? []).map((restart) => [
        name,
        String(restart.jitterMs),
        restart.registerP50Ms.toFixed(0),
        restart.registerP99Ms.toFixed(0),
        restart.etcd ? String(restart.etcd.requests) : '—',
        restart.etcd ? restart.etcd.peakPerSecond.toFixed(0) : '—',
        ms(restart.convergedP50Ms),
        ms(restart.convergedMaxMs),
      ]),
    ),
  );
  table(
    `Load spread: every client makes ${settings.callsPerClient} calls, 4 in flight (round robin); requests per instance`,
    ['registry', 'clients', 'calls', 'failed', 'busiest / mean', 'idlest / mean'],
    runs.flatMap((run) =>
      Object.entries(run.spread).map(([mode, spread]) => [
        run.name,
        mode === 'subset' ? 'subset 20' : 'all instances',
        String(spread.calls),
        String(spread.failed),
        spread.maxOverMean.toFixed(2),
        spread.minOverMean.toFixed(2),
      ]),
    ),
  );
}
