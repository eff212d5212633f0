import { EventLoopUtilizationWindow, type EventLoopLoad } from './event-loop-load.js';
import type { ResolvedAdaptive, SheddingClock } from './shedding.options.js';
import { ThroughputWindow } from './throughput-window.js';

/** Why a call was shed, for its status message. */
export interface Overload {
  utilization: number;
  inFlight: number;
  limit: number;
  /** Shed within the cool-down of an earlier shed, the loop no longer reading saturated. */
  coolingDown: boolean;
}

/**
 * BBR-like adaptive shedding of the unary calls of one server (go-zero's and kratos' rule, on
 * the event loop instead of the CPU): a new call is shed when the loop is saturated — its
 * utilisation at or above the threshold, or a call was shed less than `coolDownMs` ago — and
 * the calls in flight already reach the {@link ThroughputWindow} limit. Either alone is not
 * enough: a busy loop with few calls in flight is doing other work (shedding would not help),
 * and many calls in flight on an idle loop are waiting on I/O (shedding would only fail them).
 * The cool-down keeps it from flapping: shedding frees the loop, which would otherwise read
 * as idle at once and let the flood back in.
 */
export class AdaptiveShedder {
  private readonly window: ThroughputWindow;
  private readonly load: EventLoopLoad;
  private inFlight = 0;
  private lastShedMs = -Infinity;

  constructor(
    private readonly settings: ResolvedAdaptive,
    private readonly clock: SheddingClock,
  ) {
    this.window = new ThroughputWindow(settings.windowMs, settings.buckets, clock);
    this.load = settings.eventLoop ?? new EventLoopUtilizationWindow(settings.loadWindowMs, clock);
  }

  /** Whether a new call must be shed, and why; `undefined` lets it in (then {@link start} it). */
  check(): Overload | undefined {
    const utilization = this.load.utilization();
    const nowMs = this.clock.now();
    const belowThreshold = utilization < this.settings.utilizationThreshold;
    if (belowThreshold && nowMs - this.lastShedMs >= this.settings.coolDownMs) return undefined;
    const limit = this.window.limit();
    if (limit === undefined || this.inFlight < limit) return undefined;
    this.lastShedMs = nowMs;
    return { utilization, inFlight: this.inFlight, limit, coolingDown: belowThreshold };
  }

  start(): void {
    this.inFlight++;
  }

  /** A started call ended; a successful one's latency feeds the window. */
  end(latencyMs: number | undefined): void {
    this.inFlight--;
    if (latencyMs !== undefined) this.window.record(latencyMs);
  }
}
