// What the chaos benchmark injects (the three inventory instances' faults) and which client
// policies it compares (the arms).
import { descriptorSet } from '@nestmesh/contracts';
import type { MeshClientOptions } from '@nestmesh/grpc';

import type { Fault } from './instances.js';

export interface Scenario {
  name: string;
  what: string;
  /** The faults of instances a, b and c. */
  faults: [Fault, Fault, Fault];
}

/** `killAtMs` is set from the run's length: a third of the way in. */
export function scenarios(durationMs: number): Scenario[] {
  const killAtMs = Math.round(durationMs / 3);
  return [
    { name: 'none', what: 'no fault (the baseline)', faults: [{}, {}, {}] },
    { name: 'slow', what: 'one instance +50 ms', faults: [{ delayMs: 50 }, {}, {}] },
    {
      name: 'frozen',
      what: 'one instance frozen 250 ms of every 300 ms (still registered, looks healthy)',
      faults: [{ freeze: { frozenMs: 250, periodMs: 300 } }, {}, {}],
    },
    { name: 'flaky', what: 'one instance fails 30 % UNAVAILABLE', faults: [{ failRatio: 0.3 }, {}, {}] },
    { name: 'kill', what: 'one instance SIGKILLed, still registered', faults: [{ killAtMs }, {}, {}] },
    {
      name: 'all',
      what: 'all three at once',
      faults: [{ delayMs: 50 }, { failRatio: 0.3 }, { killAtMs }],
    },
  ];
}

export interface Arm {
  name: string;
  options: Partial<MeshClientOptions>;
}

/** GetStock is marked NO_SIDE_EFFECTS in the proto; the descriptor set tells the client so. */
const idempotent = { descriptorSet } as const;

/**
 * The arms. The first is the baseline of the overhead figure: grpc-js round robin with
 * none of the policies. The full policy is NestMesh's default client.
 */
export const ARMS: Arm[] = [
  { name: 'round robin', options: { balancer: 'round_robin', retry: false, circuitBreaker: false } },
  {
    name: 'round robin + retries',
    options: { balancer: 'round_robin', circuitBreaker: false, ...idempotent },
  },
  { name: 'p2c + retries + ejection + breaker (default)', options: { ...idempotent } },
  {
    name: '+ hedging (GetStock after 20 ms)',
    options: { ...idempotent, hedging: { methods: ['GetStock'], delayMs: 20 } },
  },
];

/** Each policy alone on round robin's baseline, for BENCH_ATTRIBUTION: which one costs what. */
export const ATTRIBUTION_ARMS: Arm[] = [
  { name: 'p2c alone', options: { retry: false, circuitBreaker: false } },
  { name: 'round robin + breaker', options: { balancer: 'round_robin', retry: false } },
];
