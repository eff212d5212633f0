// What the chaos benchmark injects (the three inventory instances' faults) and which client
// policies it compares (the arms).
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

export const ARMS: Arm[] = [
  { name: 'round robin', options: { balancer: 'round_robin' } },
  { name: 'p2c', options: { balancer: 'p2c' } },
];
