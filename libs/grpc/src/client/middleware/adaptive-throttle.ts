import { status as Status } from '@grpc/grpc-js';

import { SlidingCounts } from '../sliding-counts.js';
import type { CircuitBreakerSettings } from './circuit-breaker.config.js';

const REQUESTS = 0;
const ACCEPTS = 1;

/** Requests and accepts of one method over the last `windowMs`, in `buckets` buckets ({@link SlidingCounts}). */
export class BreakerWindow {
  private readonly counts: SlidingCounts;

  constructor(windowMs: number, buckets: number, now: number) {
    this.counts = new SlidingCounts(windowMs, buckets, 2, now);
  }

  /** One request at `now`, accepted by the backend or not. */
  record(now: number, accepted: boolean): void {
    this.counts.add(now, REQUESTS);
    if (accepted) this.counts.add(now, ACCEPTS);
  }

  /** Requests in the window ending at `now`. */
  requests(now: number): number {
    return this.counts.total(now, REQUESTS);
  }

  /** Accepted requests in the window ending at `now`. */
  accepts(now: number): number {
    return this.counts.total(now, ACCEPTS);
  }
}

/**
 * The chance that client-side throttling rejects a request locally, from Google's SRE book,
 * chapter 21 "Handling Overload", section "Client-Side Throttling":
 *
 *     max(0, (requests − K × accepts) / (requests + 1))
 *
 * where `requests` counts every request the application attempted over the window —
 * including the ones this throttle rejected, which is what keeps it rejecting while the
 * backend keeps failing — and `accepts` those the backend accepted. While the backend
 * accepts at least 1/K of them nothing is rejected; past that, the client sends about
 * K × accepts and rejects the rest itself, so a backend that comes back is fed more as its
 * accepts grow. The `+ 1` keeps the chance below 1: a trickle still reaches the backend and
 * finds out when it recovers. Below `minRequests` the chance is 0: a handful of calls says
 * little, and a client that sends so few adds little load.
 */
export function rejectionProbability(
  requests: number,
  accepts: number,
  k: number,
  minRequests: number,
): number {
  if (requests < minRequests) return 0;
  return Math.max(0, (requests - k * accepts) / (requests + 1));
}

/**
 * The codes that mean the service did not take the call: it is down or unreachable
 * (UNAVAILABLE, which also covers a broken connection), too slow (DEADLINE_EXCEEDED) or
 * shedding load (RESOURCE_EXHAUSTED) — what the SRE book's throttle counts as not accepted,
 * and what the p2c balancer counts against an instance. Every other code is the service's
 * answer and an accept: NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT, ALREADY_EXISTS…,
 * and INTERNAL and UNKNOWN too — in NestMesh they are what a handler's unexpected exception
 * becomes, a fault of that request's path rather than overload; rejecting the method's
 * healthy calls would not help the service, and would hide the bug behind local UNAVAILABLEs.
 */
const NOT_ACCEPTED = new Set<number>([
  Status.UNAVAILABLE,
  Status.DEADLINE_EXCEEDED,
  Status.RESOURCE_EXHAUSTED,
]);

/** Why a request was rejected: the chance it had, and the counts the chance came from. */
export interface Rejection {
  probability: number;
  requests: number;
  accepts: number;
}

/**
 * SRE adaptive throttling of one method: a window of outcomes and the draw against it, and a
 * probe whenever no call has gone out for `probeIntervalMs`. Settings from
 * `parseCircuitBreakerOptions`; usable alone for calls that are not gRPC.
 */
export class AdaptiveThrottle {
  private readonly window: BreakerWindow;
  private lastOut: number;

  constructor(private readonly settings: CircuitBreakerSettings) {
    const now = settings.clock.now();
    this.window = new BreakerWindow(settings.windowMs, settings.buckets, now);
    this.lastOut = now;
  }

  /** The chance that a request is rejected locally at `now` (the clock's, by default). */
  probability(now = this.settings.clock.now()): number {
    const { k, minRequests } = this.settings;
    return rejectionProbability(this.window.requests(now), this.window.accepts(now), k, minRequests);
  }

  /**
   * Undefined when a request made now may go out (then {@link settle} its status); else why
   * it is rejected — and it is counted as a request the service did not accept. A request
   * the draw would reject goes out all the same when none has for `probeIntervalMs`: with
   * nothing accepted the draw lets about one a window out, and the probe finds a service
   * that is back within the interval rather than within some windows.
   */
  admit(): Rejection | undefined {
    const now = this.settings.clock.now();
    const probability = this.probability(now);
    if (
      probability === 0 ||
      this.settings.clock.random() >= probability ||
      now - this.lastOut >= this.settings.probeIntervalMs
    ) {
      this.lastOut = now;
      return undefined;
    }
    this.window.record(now, false);
    return { probability, requests: this.window.requests(now), accepts: this.window.accepts(now) };
  }

  /**
   * Counts the status of a request that went out. Requests count when their status arrives,
   * not when they start: counted at the start, the calls in flight to a slow but healthy
   * service would be requests without accepts and would be rejected. CANCELLED is the
   * caller's own doing (an abort, a stream left early) and says nothing of the service: it
   * does not count.
   */
  settle(code: Status): void {
    if (code === Status.CANCELLED) return;
    this.window.record(this.settings.clock.now(), !NOT_ACCEPTED.has(code));
  }
}
