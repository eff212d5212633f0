import { experimental } from '@grpc/grpc-js';

import type { RetryBudgetSettings } from './retry-options.js';

/**
 * Channel option carrying a client's {@link RetryBudget} to its p2c balancers (one budget per
 * service, shared by the sibling channels of other compressions). The prefix keeps it out of
 * the subchannel key, as the discovery and clock options.
 */
export const RETRY_BUDGET_CHANNEL_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.nestmesh_retry_budget`;

/** Slices of the window: the budget forgets the oldest slice at once, so 10 keeps that step small. */
const SLICES = 10;

/**
 * A retry budget as Finagle's: over the last `windowMs`, extra attempts (retries and hedges)
 * may number at most `ratio` × the first attempts sent, plus `minRetriesPerSecond` × the
 * window's seconds, so a client with little traffic can still retry. Unlike grpc-js' throttle,
 * which stops retries after a run of failures, it bounds the extra load a client can add in
 * any outage: under a total one, N calls cost at most N × (1 + ratio) + the floor attempts.
 * Time comes from `now` (ms, monotonic), so tests move it by hand.
 */
export class RetryBudget {
  private readonly requests = new Array<number>(SLICES).fill(0);
  private readonly retries = new Array<number>(SLICES).fill(0);
  /** The slice index (time ÷ slice length) the arrays were last moved to. */
  private currentSlice: number;

  constructor(
    readonly settings: RetryBudgetSettings,
    private readonly now: () => number,
  ) {
    this.currentSlice = this.sliceAt(now());
  }

  /** A first attempt was sent: it adds `ratio` of an extra attempt to the budget. */
  recordRequest(): void {
    this.requests[this.advance()]++;
  }

  /** Takes one extra attempt from the budget if there is one left; false: refuse the attempt. */
  tryRetry(): boolean {
    const slot = this.advance();
    if (sum(this.retries) + 1 > this.allowance()) return false;
    this.retries[slot]++;
    return true;
  }

  /** Extra attempts the window allows now, spent or not. */
  allowance(): number {
    const { ratio, minRetriesPerSecond, windowMs } = this.settings;
    return ratio * sum(this.requests) + (minRetriesPerSecond * windowMs) / 1000;
  }

  /** Clears the slices that left the window since the last call; returns the current one. */
  private advance(): number {
    const slice = this.sliceAt(this.now());
    const elapsed = Math.min(SLICES, Math.max(0, slice - this.currentSlice));
    for (let step = 1; step <= elapsed; step++) {
      const index = slotOf(this.currentSlice + step);
      this.requests[index] = 0;
      this.retries[index] = 0;
    }
    if (slice > this.currentSlice) this.currentSlice = slice;
    return slotOf(this.currentSlice);
  }

  private sliceAt(time: number): number {
    return Math.floor(time / (this.settings.windowMs / SLICES));
  }
}

/** The array index of a slice (non-negative for any clock origin). */
function slotOf(slice: number): number {
  return ((slice % SLICES) + SLICES) % SLICES;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
