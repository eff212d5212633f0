/** Median of numbers (not mutated). */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** The p-th percentile (nearest rank) of numbers (not mutated). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export interface Sample {
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Median of each field over rounds. */
export function medianSample(samples: readonly Sample[]): Sample {
  return {
    callsPerSecond: median(samples.map((s) => s.callsPerSecond)),
    p50Ms: median(samples.map((s) => s.p50Ms)),
    p99Ms: median(samples.map((s) => s.p99Ms)),
  };
}
