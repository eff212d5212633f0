import { status as Status } from '@grpc/grpc-js';

import type { BalancerClock, P2cSettings } from './p2c.config.js';

/**
 * The codes that count against the instance that answered them: it could not take the call
 * (UNAVAILABLE, which also covers transport failures), took too long (DEADLINE_EXCEEDED) or
 * shed it (RESOURCE_EXHAUSTED). Every other code is the application's answer (NOT_FOUND,
 * FAILED_PRECONDITION, INTERNAL…) or the caller's choice (CANCELLED): never the instance's fault.
 */
const FAILURE_CODES: ReadonlySet<Status> = new Set([
  Status.UNAVAILABLE,
  Status.DEADLINE_EXCEEDED,
  Status.RESOURCE_EXHAUSTED,
]);

/** A floor on the success rate, so that one instance that failed everything still has a finite cost. */
const SUCCESS_FLOOR = 0.01;

/** What the balancer knows of one instance. Latencies in ms. */
export class InstanceScore {
  /** Peak-EWMA latency: a slower sample is taken at once, a faster one decays in. */
  latencyMs = 0;
  /** EWMA of the share of calls that did not fail, 1 when unknown. */
  successRate = 1;
  inFlight = 0;
  consecutiveFailures = 0;
  /** When this instance was last chosen (ms on the clock). */
  lastPickedAt: number;
  /** Ejected until this time; 0: not ejected. */
  ejectedUntil = 0;
  /** Ejections in a row, each twice the last; forgotten after maxEjectionMs without one. */
  ejections = 0;
  /** When the last ejection ended (ms on the clock). */
  lastEjectionEndedAt = 0;
  /** When its last call ended in a failure, if its last call failed; -Infinity otherwise. */
  lastFailedAt = -Infinity;
  private updatedAt: number;

  constructor(now: number) {
    this.lastPickedAt = now;
    this.updatedAt = now;
  }

  /** The p2c cost: expected latency × queue length ÷ success rate. The cheaper instance is picked. */
  cost(): number {
    return ((this.latencyMs + 1) * (this.inFlight + 1)) / Math.max(this.successRate, SUCCESS_FLOOR);
  }

  isEjected(now: number): boolean {
    return this.ejectedUntil > now;
  }

  /**
   * It failed a call less than `withinMs` ago (a success since does not clear it: an instance
   * failing a third of its calls has usually answered one since): a retry goes elsewhere if it can.
   */
  failedRecently(now: number, withinMs: number): boolean {
    return now - this.lastFailedAt < withinMs;
  }

  /** Folds a sample into the averages: weight of the old value e^(-elapsed/decayMs). */
  observe(now: number, settings: P2cSettings, latencyMs: number | undefined, success: boolean): void {
    const keep = Math.exp(-Math.max(0, now - this.updatedAt) / settings.decayMs);
    this.updatedAt = now;
    if (latencyMs !== undefined) {
      this.latencyMs =
        latencyMs > this.latencyMs ? latencyMs : this.latencyMs * keep + latencyMs * (1 - keep);
    }
    this.successRate = this.successRate * keep + (success ? 1 - keep : 0);
  }
}

/** The scores of a balancer's instances (by endpoint key), kept across address updates. */
export class InstanceScores {
  private readonly scores = new Map<string, InstanceScore>();

  constructor(
    readonly settings: P2cSettings,
    readonly clock: BalancerClock,
  ) {}

  /** Keeps the scores of `keys` (the instances now resolved), creating the missing ones. */
  retain(keys: readonly string[]): void {
    const now = this.clock.now();
    const wanted = new Set(keys);
    for (const key of this.scores.keys()) if (!wanted.has(key)) this.scores.delete(key);
    for (const key of keys) if (!this.scores.has(key)) this.scores.set(key, new InstanceScore(now));
  }

  get(key: string): InstanceScore {
    let score = this.scores.get(key);
    if (!score) {
      score = new InstanceScore(this.clock.now());
      this.scores.set(key, score);
    }
    return score;
  }

  /** Instances ejected now. */
  ejectedCount(now = this.clock.now()): number {
    let count = 0;
    for (const score of this.scores.values()) if (score.isEjected(now)) count++;
    return count;
  }

  /** A call was sent to `score`'s instance; returns its start time for {@link ended}. */
  started(score: InstanceScore): number {
    score.inFlight++;
    return this.clock.now();
  }

  /** The call started at `startedAt` ended with `code`. */
  ended(score: InstanceScore, startedAt: number, code: Status): void {
    score.inFlight = Math.max(0, score.inFlight - 1);
    if (code === Status.CANCELLED) return;
    const now = this.clock.now();
    const failed = FAILURE_CODES.has(code);
    // A fast refusal says nothing of how fast the instance serves; a timeout does.
    const latencyMs = failed && code !== Status.DEADLINE_EXCEEDED ? undefined : now - startedAt;
    score.observe(now, this.settings, latencyMs, !failed);
    score.consecutiveFailures = failed ? score.consecutiveFailures + 1 : 0;
    if (failed) score.lastFailedAt = now;
    if (score.consecutiveFailures >= this.settings.failuresToEject) this.eject(score, now);
  }

  /**
   * Ejects `score` for baseEjectionMs × 2^(ejections in a row), up to maxEjectionMs, unless that
   * would put more than maxEjectedShare of the instances out (then it stays and keeps its cost).
   */
  private eject(score: InstanceScore, now: number): void {
    if (score.isEjected(now)) return;
    const allowed = Math.floor(this.scores.size * this.settings.maxEjectedShare + 1e-9);
    if (this.ejectedCount(now) >= allowed) return;
    const { baseEjectionMs, maxEjectionMs } = this.settings;
    if (score.ejections > 0 && now - score.lastEjectionEndedAt >= maxEjectionMs) score.ejections = 0;
    const durationMs = Math.min(maxEjectionMs, baseEjectionMs * 2 ** score.ejections);
    score.ejections++;
    score.ejectedUntil = now + durationMs;
    score.consecutiveFailures = 0;
  }

  /**
   * Called when an ejected instance is back in the draw: it starts from a clean success rate
   * (the failures were paid for by the ejection) and is probed at once.
   */
  readmitIfDue(score: InstanceScore, now: number): void {
    if (score.ejectedUntil === 0 || score.isEjected(now)) return;
    score.lastEjectionEndedAt = score.ejectedUntil;
    score.ejectedUntil = 0;
    score.successRate = 1;
    score.consecutiveFailures = 0;
    score.lastPickedAt = -Infinity;
  }
}
