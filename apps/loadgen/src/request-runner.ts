import type { Clock } from './schedule/clock.js';
import { RequestStats, type Outcome } from './stats/request-stats.js';

/**
 * One request to the system under load. It must end soon after `signal` aborts (the load
 * generator's timeout) and should resolve to an Outcome rather than reject; a rejection is
 * counted as a failure named after the error.
 */
export type Call = (sku: string, signal: AbortSignal) => Promise<Outcome>;

/** What a rejected call is counted as: its `code` (ECONNRESET…), else its name. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : 'Error';
}

/**
 * Runs the requests of one kind: at most `maxInFlight` at once (a tick beyond that is shed,
 * not queued, so a slow or paused backend cannot make requests pile up), each aborted after
 * `timeoutMs` and then counted as timed out whatever it answers afterwards.
 */
export class RequestRunner {
  readonly stats = new RequestStats();
  private readonly running = new Set<AbortController>();

  constructor(
    private readonly call: Call,
    private readonly clock: Clock,
    private readonly limits: { maxInFlight: number; timeoutMs: number },
    private readonly onSettled: () => void = () => undefined,
  ) {}

  get inFlight(): number {
    return this.running.size;
  }

  run(sku: string): void {
    if (this.running.size >= this.limits.maxInFlight) {
      this.stats.shed();
      return;
    }
    const controller = new AbortController();
    this.running.add(controller);
    const startedAt = this.clock.now();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`timed out after ${this.limits.timeoutMs} ms`));
    }, this.limits.timeoutMs);
    void this.call(sku, controller.signal)
      .catch((error: unknown): Outcome => ({ result: 'failed', reason: reasonOf(error) }))
      .then((outcome) => {
        this.clock.clearTimeout(timer);
        this.running.delete(controller);
        this.stats.record(timedOut ? { result: 'timeout' } : outcome, this.clock.now() - startedAt);
        this.onSettled();
      });
  }

  /** Aborts every running request (they are then counted as failed by their caller's reason). */
  abortAll(reason: Error): void {
    for (const controller of this.running) controller.abort(reason);
  }
}
