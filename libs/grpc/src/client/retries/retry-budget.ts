import { experimental } from '@grpc/grpc-js';

import { SlidingCounts } from '../sliding-counts.js';
import type { RetryBudgetSettings } from './retry-options.js';

/**
 * Channel option carrying a client's {@link RetryBudget} to its p2c balancers (one budget per
 * service, shared by the sibling channels of other compressions). The prefix keeps it out of
 * the subchannel key, as the discovery and clock options.
 */
export const RETRY_BUDGET_CHANNEL_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.nestmesh_retry_budget`;

/** Slices of the window: the budget forgets the oldest slice at once, so 10 keeps that step small. */
const SLICES = 10;
const REQUESTS = 0;
const RETRIES = 1;

/**
 * A retry budget as Finagle's: over the last `windowMs`, extra attempts (retries and hedges)
 * may number at most `ratio` × the first attempts sent, plus `minRetriesPerSecond` × the
 * window's seconds, so a client with little traffic can still retry. Unlike grpc-js' throttle,
 * which stops retries after a run of failures, it bounds the extra load a client can add in
 * any outage: under a total one, N calls cost at most N × (1 + ratio) + the floor attempts.
 * Time comes from `now` (ms, monotonic), so tests move it by hand.
 */
export class RetryBudget {
  private readonly counts: SlidingCounts;

  constructor(
    readonly settings: RetryBudgetSettings,
    private readonly now: () => number,
  ) {
    this.counts = new SlidingCounts(settings.windowMs, SLICES, 2, now());
  }

  /** A first attempt was sent: it adds `ratio` of an extra attempt to the budget. */
  recordRequest(): void {
    this.counts.add(this.now(), REQUESTS);
  }

  /** Takes one extra attempt from the budget if there is one left; false: refuse the attempt. */
  tryRetry(): boolean {
    const now = this.now();
    if (this.counts.total(now, RETRIES) + 1 > this.allowance(now)) return false;
    this.counts.add(now, RETRIES);
    return true;
  }

  /** Extra attempts the window allows now, spent or not. */
  allowance(now = this.now()): number {
    const { ratio, minRetriesPerSecond, windowMs } = this.settings;
    return ratio * this.counts.total(now, REQUESTS) + (minRetriesPerSecond * windowMs) / 1000;
  }
}
