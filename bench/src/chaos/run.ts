// `npm run bench:chaos`: what the mesh client's policies do for callers when instances misbehave.
// Three inventory processes (bench/src/chaos/chaos-server.ts: the inventory app with a fault
// interceptor, registered in a real etcd started here) carry the faults; the client under test is MeshClientModule, in this
// process, dialling the service by name, never told of the faults. Each case (scenario × arm)
// gets fresh processes, a fresh client (no state carried over) and its own etcd key prefix.
// Load: open-loop GetStock at BENCH_RATE calls/s (default 200) for BENCH_SECONDS (default 10),
// 1 s deadline, latency measured from the intended send time, after a 1 s warm-up.
// BENCH_SCENARIOS=slow,flaky runs only those; BENCH_ROUNDS (3) rounds of the overhead figure;
// BENCH_ATTRIBUTION=1 adds one-policy arms to it (which policy costs what).
// Attempts per call = GetStock calls that reached the servers ÷ calls made (the killed one's count
// is its last report before the kill).
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { DiscoveryModule } from '@nestmesh/discovery';
import { MeshClientModule, meshClientToken, type MeshClient } from '@nestmesh/grpc';
import { startEtcd } from '@nestmesh/testing';

import { percentile } from '../rpc/stats.js';
import { ChaosInstance, INJECTED } from './instances.js';
import { openLoop, type CallOutcome } from './open-loop.js';
import { measureOverhead, type OverheadResult } from './overhead.js';
import { ARMS, ATTRIBUTION_ARMS, scenarios, type Arm, type Scenario } from './scenarios.js';

const rate = Number(process.env.BENCH_RATE ?? 200);
const durationMs = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const DEADLINE_MS = 1000;
const WARM_UP_MS = 1000;

type Client = MeshClient<typeof InventoryServiceService>;

/** The instances report their counts every 100 ms: this long after a phase, they are final. */
const settleCounts = () => new Promise((resolve) => setTimeout(resolve, 300));

/**
 * The real etcd, under a key prefix of the case's own: a killed instance of an earlier case,
 * registered until its 30 s lease ends, is never among a later case's `inventory` instances.
 */
function discoveryFor(etcd: string, name: string): string {
  return `etcd://${etcd.replace(/^http:\/\//, '')}?ttl=30&prefix=/chaos/${name}`;
}

async function startClient(discoveryUrl: string, arm: Arm) {
  @Module({
    imports: [
      DiscoveryModule.forRoot({ url: discoveryUrl }),
      MeshClientModule.register({
        ...arm.options,
        service: 'inventory',
        definition: InventoryServiceService,
        timeoutMs: DEADLINE_MS,
      }),
    ],
  })
  class ChaosClientModule {}
  const app = await NestFactory.createApplicationContext(ChaosClientModule, { logger: false });
  await app.init();
  return { client: app.get<Client>(meshClientToken(InventoryServiceService)), close: () => app.close() };
}

export interface CaseResult {
  scenario: string;
  arm: string;
  calls: number;
  successRatio: number;
  attemptsPerCall: number;
  p50Ms: number;
  p99Ms: number;
  /** Share of calls that took over 100 ms (the gray failure: a third under round robin). */
  over100MsShare: number;
  /** Share of successful calls the slow (or frozen) instance served (scenarios with one). */
  slowShare?: number;
  /** Failed calls among those meant to start ≥ 1 s after the kill, other than injected failures. */
  failedAfterKill?: number;
}

async function runCase(scenario: Scenario, arm: Arm, etcd: string, index: number): Promise<CaseResult> {
  const name = `chaos-${index}-${scenario.name}`;
  const discoveryUrl = discoveryFor(etcd, name);
  const names = ['a', 'b', 'c'].map((letter) => `${name}-${letter}`);
  const instances = await Promise.all(
    scenario.faults.map((fault, at) => ChaosInstance.start(names[at], discoveryUrl, fault)),
  );
  const { client, close } = await startClient(discoveryUrl, arm);
  const call = async () => (await client.getStock({ sku: 'A-1' })).servedBy;
  try {
    for (const instance of instances) instance.startFreezing();
    await openLoop({ ratePerSecond: rate, durationMs: WARM_UP_MS, call });
    await settleCounts();
    const arrivedBefore = instances.reduce((sum, each) => sum + each.arrived, 0);
    const doomed = instances.find((each) => each.fault.killAtMs !== undefined);
    let killedAt: number | undefined;
    const { outcomes } = await openLoop({
      ratePerSecond: rate,
      durationMs,
      call,
      midRun: doomed && {
        atMs: doomed.fault.killAtMs!,
        action: () => {
          killedAt = performance.now();
          doomed.kill();
        },
      },
    });
    await settleCounts();
    const arrived = instances.reduce((sum, each) => sum + each.arrived, 0) - arrivedBefore;
    return summarize(scenario, arm, outcomes, {
      arrived,
      killedAt,
      slowName: names[scenario.faults.findIndex((fault) => fault.delayMs || fault.freeze)],
    });
  } finally {
    await close();
    await Promise.all(instances.map((each) => each.stop()));
  }
}

function summarize(
  scenario: Scenario,
  arm: Arm,
  outcomes: CallOutcome[],
  run: { arrived: number; killedAt?: number; slowName?: string },
): CaseResult {
  const succeeded = outcomes.filter((outcome) => outcome.code === 0);
  if (process.env.BENCH_DEBUG) {
    const failures = new Map<string, number>();
    for (const { code, details } of outcomes) {
      if (code !== 0) failures.set(`${code} ${details}`, (failures.get(`${code} ${details}`) ?? 0) + 1);
    }
    for (const [failure, count] of failures) console.error(`  ${count} × ${failure}`);
  }
  const latencies = outcomes.map((outcome) => outcome.latencyMs);
  return {
    scenario: scenario.name,
    arm: arm.name,
    calls: outcomes.length,
    successRatio: succeeded.length / outcomes.length,
    attemptsPerCall: run.arrived / outcomes.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    over100MsShare: latencies.filter((latency) => latency > 100).length / latencies.length,
    slowShare: run.slowName
      ? succeeded.filter((outcome) => outcome.servedBy === run.slowName).length / succeeded.length
      : undefined,
    failedAfterKill:
      run.killedAt === undefined
        ? undefined
        : outcomes.filter(
            (outcome) =>
              outcome.intendedAt >= run.killedAt! + 1000 &&
              outcome.code !== 0 &&
              !outcome.details?.includes(INJECTED),
          ).length,
  };
}

const percent = (ratio: number, digits = 2) => `${(ratio * 100).toFixed(digits)} %`;

function table(results: CaseResult[]): string {
  const rows = [
    '| scenario | arm | success | attempts/call | p50 ms | p99 ms | > 100 ms | slow share | failed ≥ 1 s after kill, not injected |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    rows.push(
      `| ${result.scenario} | ${result.arm} | ${percent(result.successRatio)} | ${result.attemptsPerCall.toFixed(2)} | ${result.p50Ms.toFixed(1)} | ${result.p99Ms.toFixed(1)} | ${percent(result.over100MsShare, 1)} | ${result.slowShare === undefined ? '' : percent(result.slowShare, 1)} | ${result.failedAfterKill ?? ''} |`,
    );
  }
  return rows.join('\n');
}

/** Three healthy instances of one service, and a fresh client per arm, for the overhead rounds. */
async function overhead(etcd: string): Promise<OverheadResult[]> {
  const discoveryUrl = discoveryFor(etcd, 'overhead');
  const instances = await Promise.all(
    ['a', 'b', 'c'].map((letter) => ChaosInstance.start(`overhead-${letter}`, discoveryUrl, {})),
  );
  try {
    // The baseline twice: how far the gauge moves with nothing changed.
    const [baseline, ...others] = ARMS;
    const arms = [
      baseline,
      { ...baseline, name: `${baseline.name} (again: the gauge)` },
      ...others,
      ...(process.env.BENCH_ATTRIBUTION ? ATTRIBUTION_ARMS : []),
    ];
    return await measureOverhead(
      arms,
      async (arm) => {
        const { client, close } = await startClient(discoveryUrl, arm);
        return { call: () => client.getStock({ sku: 'A-1' }), close };
      },
      { rounds: Number(process.env.BENCH_ROUNDS ?? 3), durationMs: 3000 },
    );
  } finally {
    await Promise.all(instances.map((each) => each.stop()));
  }
}

const etcd = await startEtcd();
const results: CaseResult[] = [];
let costs: OverheadResult[];
try {
  let index = 0;
  const only = process.env.BENCH_SCENARIOS?.split(',');
  for (const scenario of scenarios(durationMs).filter((each) => !only || only.includes(each.name))) {
    for (const arm of ARMS) {
      const result = await runCase(scenario, arm, etcd.endpoint, index++);
      results.push(result);
      console.error(
        `${scenario.name} / ${arm.name}: ${percent(result.successRatio)} ok, p99 ${result.p99Ms.toFixed(1)} ms`,
      );
    }
  }
  costs = await overhead(etcd.endpoint);
} finally {
  await etcd.stop();
}
console.log(
  `chaos: ${rate} calls/s for ${durationMs / 1000} s per case, ${DEADLINE_MS} ms deadline, Node ${process.version}\n`,
);
console.log(table(results));
const [baseline] = costs;
console.log('\n| arm (no fault, closed loop) | calls/s | client CPU µs/call | CPU vs ' + baseline.arm + ' |');
console.log('|---|---:|---:|---:|');
for (const cost of costs) {
  console.log(
    `| ${cost.arm} | ${cost.callsPerSecond.toFixed(0)} | ${cost.cpuUsPerCall.toFixed(0)} | ${(cost.cpuUsPerCall / baseline.cpuUsPerCall).toFixed(3)} |`,
  );
}
