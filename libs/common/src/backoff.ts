/** A source of uniform random numbers in [0, 1); injectable so that tests are exact. */
export type Random = () => number;

/** `ms` moved by up to ± `fraction` of itself, uniformly: spreads periodic work of many processes. */
export function jittered(ms: number, fraction = 0.2, random: Random = Math.random): number {
  return ms * (1 - fraction + 2 * fraction * random());
}

export interface BackoffOptions {
  /** The first delay, in ms. */
  initialMs: number;
  /** The delay never grows past this, in ms. */
  maxMs: number;
  /** Up to this fraction of each delay is taken off at random (0 = none). Default 0.5. */
  jitter?: number;
  random?: Random;
}

/**
 * Exponential backoff with jitter: the n-th delay is `min(initialMs × 2ⁿ, maxMs)` less up to
 * `jitter` of it, so that clients that failed together do not retry together. `reset()` after a
 * success starts again from `initialMs`.
 */
export class Backoff {
  private failures = 0;
  private readonly jitter: number;
  private readonly random: Random;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.initialMs > 0) || !(options.maxMs >= options.initialMs)) {
      throw new RangeError(
        `backoff: need 0 < initialMs <= maxMs, got ${options.initialMs}, ${options.maxMs}`,
      );
    }
    this.jitter = options.jitter ?? 0.5;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next try, in ms; each call counts one more failure. */
  next(): number {
    const base = Math.min(this.options.initialMs * 2 ** this.failures, this.options.maxMs);
    if (base < this.options.maxMs) this.failures++;
    return base * (1 - this.jitter * this.random());
  }

  reset(): void {
    this.failures = 0;
  }
}
