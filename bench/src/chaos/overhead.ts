// The happy path's price of the client policies: a closed loop (CONCURRENCY calls always in
// flight) against three healthy instances, each arm in turn, rounds alternating the order,
// reported as the median of its rounds: calls/s and this process's CPU per call (the client's
// whole work: the Nest client, grpc-js, the balancer, the policies).
import { median } from '../rpc/stats.js';
import type { Arm } from './scenarios.js';

const CONCURRENCY = 32;

export interface OverheadResult {
  arm: string;
  callsPerSecond: number;
  cpuUsPerCall: number;
}

export interface ArmClient {
  call: () => Promise<unknown>;
  close: () => Promise<void>;
}

async function closedLoop(call: () => Promise<unknown>, durationMs: number) {
  const endAt = performance.now() + durationMs;
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  let calls = 0;
  const worker = async () => {
    while (performance.now() < endAt) {
      await call();
      calls++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedMs = performance.now() - startedAt;
  return { callsPerSecond: (calls * 1000) / elapsedMs, cpuUsPerCall: (cpu.user + cpu.system) / calls };
}

export async function measureOverhead(
  arms: readonly Arm[],
  client: (arm: Arm) => Promise<ArmClient>,
  { rounds, durationMs }: { rounds: number; durationMs: number },
): Promise<OverheadResult[]> {
  const samples = new Map(
    arms.map((arm) => [arm.name, [] as { callsPerSecond: number; cpuUsPerCall: number }[]]),
  );
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? arms : [...arms].reverse();
    for (const arm of order) {
      const { call, close } = await client(arm);
      try {
        await closedLoop(call, 1000); // warm-up: connections, JIT
        samples.get(arm.name)!.push(await closedLoop(call, durationMs));
      } finally {
        await close();
      }
    }
  }
  return arms.map((arm) => {
    const measured = samples.get(arm.name)!;
    return {
      arm: arm.name,
      callsPerSecond: median(measured.map((each) => each.callsPerSecond)),
      cpuUsPerCall: median(measured.map((each) => each.cpuUsPerCall)),
    };
  });
}
