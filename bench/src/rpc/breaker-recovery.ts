// `npm run bench:breaker` (node scripts/on-supported-node.mjs bench/dist/rpc/breaker-recovery.js
// after `npm run build`): how soon the client circuit breaker (@nestmesh/grpc AdaptiveThrottle,
// the throttle every MeshClientModule method has) lets a client's calls out again once a
// service is back. Simulated, on a virtual clock with seeded draws: no network, no timing noise.
// The service fails every call (UNAVAILABLE) for OUTAGE_S, then answers every one; the client
// makes `rate` calls a second, evenly spaced, each settled at once. Per row, over SEEDS seeds:
//   first out  seconds from the service's return to the first call let out (and so accepted)
//   half out   … until a whole second lets out at least half of its calls
//   all out    … until a whole second lets out every call
// Env: BREAKER_SEEDS (5), BREAKER_OUTAGE_S (30), BREAKER_RATES ("20,100,1000").
import { status as Status } from '@grpc/grpc-js';
import { AdaptiveThrottle, parseCircuitBreakerOptions, type CircuitBreakerOptions } from '@nestmesh/grpc';

import { seeded } from '../seeded.js';

const seeds = Number(process.env.BREAKER_SEEDS ?? 5);
const outageMs = Number(process.env.BREAKER_OUTAGE_S ?? 30) * 1000;
const rates = (process.env.BREAKER_RATES ?? '20,100,1000').split(',').map(Number);
const LIMIT_MS = 300_000; // give up this long after the service is back

const configs: Record<string, CircuitBreakerOptions> = {
  'defaults (probe every 1 s)': {},
  'no probes (the book alone)': { probeIntervalMs: Number.POSITIVE_INFINITY },
  'windowMs 3000': { windowMs: 3_000 },
  'windowMs 3000, no probes': { windowMs: 3_000, probeIntervalMs: Number.POSITIVE_INFINITY },
};

interface Recovery {
  firstOut: number;
  halfOut: number;
  allOut: number;
}

function simulate(options: CircuitBreakerOptions, rate: number, seed: number): Recovery {
  let now = 0;
  const throttle = new AdaptiveThrottle(
    parseCircuitBreakerOptions({ ...options, clock: { now: () => now, random: seeded(seed) } }),
  );
  const stepMs = 1000 / rate;
  const found: Partial<Recovery> = {};
  let second = { start: outageMs, calls: 0, out: 0 };
  for (let call = 0; now < outageMs + LIMIT_MS; call++) {
    now = call * stepMs;
    const out = throttle.admit() === undefined;
    if (out) throttle.settle(now < outageMs ? Status.UNAVAILABLE : Status.OK);
    if (now < outageMs) continue;
    if (out) found.firstOut ??= now - outageMs;
    if (now - second.start >= 1000) {
      if (second.out * 2 >= second.calls) found.halfOut ??= second.start + 1000 - outageMs;
      if (second.out === second.calls) {
        found.allOut = second.start + 1000 - outageMs;
        break;
      }
      second = { start: now, calls: 0, out: 0 };
    }
    second.calls++;
    if (out) second.out++;
  }
  return {
    firstOut: found.firstOut ?? Number.NaN,
    halfOut: found.halfOut ?? Number.NaN,
    allOut: found.allOut ?? Number.NaN,
  };
}

const seconds = (values: number[]) => {
  const sorted = values.map((ms) => ms / 1000).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  const low = sorted[0] ?? Number.NaN;
  const high = sorted.at(-1) ?? Number.NaN;
  return `${median.toFixed(1)} (${low.toFixed(1)}–${high.toFixed(1)})`;
};

console.log(
  `breaker recovery after a ${outageMs / 1000} s total outage; seconds after the service is back, median (min–max) of ${seeds} seeds`,
);
console.log('| breaker | calls/s | first out | half out | all out |');
console.log('| ------- | ------: | --------: | -------: | ------: |');
for (const [name, options] of Object.entries(configs)) {
  for (const rate of rates) {
    const runs = Array.from({ length: seeds }, (_, seed) => simulate(options, rate, seed + 1));
    console.log(
      `| ${name} | ${rate} | ${seconds(runs.map((run) => run.firstOut))} | ${seconds(runs.map((run) => run.halfOut))} | ${seconds(runs.map((run) => run.allOut))} |`,
    );
  }
}
