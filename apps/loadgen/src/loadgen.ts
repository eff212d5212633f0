import type { Clock, ClockTimer } from './schedule/clock.js';
import { FixedRatePacer } from './schedule/fixed-rate.pacer.js';
import { RequestRunner, type Call } from './request-runner.js';
import { formatSummary, type RequestKind } from './stats/summary.js';

export interface LoadgenSettings {
  ordersPerSecond: number;
  /** Stock reads per second in all; with gRPC on, they alternate between HTTP and gRPC. */
  stockReadsPerSecond: number;
  skus: readonly string[];
  /** Per kind of request. */
  maxInFlight: number;
  reportMs: number;
  timeoutMs: number;
}

export interface LoadgenCalls {
  order: Call;
  stockHttp: Call;
  /** Present when STOCK_GRPC_TARGET is set. */
  stockGrpc?: Call;
}

/** Beyond the request timeout, how long a stop waits for requests that ignore their abort. */
export const DRAIN_MARGIN_MS = 1000;

/** A cycle over `skus`: each call returns the next one. */
function cycle(skus: readonly string[]): () => string {
  let next = 0;
  return () => skus[next++ % skus.length];
}

/**
 * Places orders and reads stock at fixed rates, prints one summary line per report interval,
 * and on `stop()` stops scheduling, waits for what is in flight and prints the totals.
 */
export class Loadgen {
  private readonly runners = new Map<RequestKind, RequestRunner>();
  private readonly pacers: FixedRatePacer[] = [];
  private intervalStartedAt = 0;
  private startedAt = 0;
  private onIdle: (() => void) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly settings: LoadgenSettings,
    calls: LoadgenCalls,
    private readonly clock: Clock,
    private readonly print: (line: string) => void,
  ) {
    const limits = { maxInFlight: settings.maxInFlight, timeoutMs: settings.timeoutMs };
    const onSettled = () => this.checkIdle();
    this.runners.set('order', new RequestRunner(calls.order, clock, limits, onSettled));
    this.runners.set('stock-http', new RequestRunner(calls.stockHttp, clock, limits, onSettled));
    if (calls.stockGrpc)
      this.runners.set('stock-grpc', new RequestRunner(calls.stockGrpc, clock, limits, onSettled));
    this.buildPacers();
  }

  private buildPacers(): void {
    const { ordersPerSecond, stockReadsPerSecond, skus, reportMs } = this.settings;
    if (ordersPerSecond > 0) {
      const nextSku = cycle(skus);
      const orders = this.runners.get('order')!;
      this.pacers.push(
        new FixedRatePacer(
          ordersPerSecond,
          this.clock,
          () => orders.run(nextSku()),
          (ticks) => orders.stats.missed(ticks),
        ),
      );
    }
    if (stockReadsPerSecond > 0) {
      const nextSku = cycle(skus);
      const readers = [this.runners.get('stock-http')!, this.runners.get('stock-grpc')].filter(
        (reader) => reader !== undefined,
      );
      let turn = 0;
      const nextReader = () => readers[turn++ % readers.length];
      this.pacers.push(
        new FixedRatePacer(
          stockReadsPerSecond,
          this.clock,
          () => nextReader().run(nextSku()),
          (ticks) => {
            for (let tick = 0; tick < ticks; tick++) nextReader().stats.missed(1);
          },
        ),
      );
    }
    // A report that a stall delayed covers the longer interval; the line says how long it was.
    const report = new FixedRatePacer(1000 / reportMs, this.clock, () => this.report(), undefined, false);
    this.pacers.push(report);
  }

  start(): void {
    this.startedAt = this.intervalStartedAt = this.clock.now();
    for (const pacer of this.pacers) pacer.start();
  }

  /** Requests running now, all kinds together. */
  get inFlight(): number {
    let sum = 0;
    for (const runner of this.runners.values()) sum += runner.inFlight;
    return sum;
  }

  /**
   * Stops scheduling, waits for the requests in flight (at most their timeout plus
   * DRAIN_MARGIN_MS; those still running then are aborted), prints the last interval and the
   * totals. Idempotent: a second call returns the first one's promise.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drainAndReport();
    return this.stopping;
  }

  private async drainAndReport(): Promise<void> {
    for (const pacer of this.pacers) pacer.stop();
    const drained = await this.waitIdle(this.settings.timeoutMs + DRAIN_MARGIN_MS);
    if (!drained) {
      const left = this.inFlight;
      for (const runner of this.runners.values()) runner.abortAll(new Error('loadgen stopped'));
      this.print(`loadgen stop: ${left} request(s) still in flight after the drain were abandoned`);
    }
    this.report();
    const totals = [...this.runners].map(([kind, runner]) => [kind, runner.stats.total()] as const);
    this.print(formatSummary('total', this.clock.now() - this.startedAt, totals));
  }

  /** Resolves true once nothing is in flight, false if `withinMs` passes first. */
  private waitIdle(withinMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: ClockTimer | undefined = undefined;
      this.onIdle = () => {
        this.clock.clearTimeout(timer);
        resolve(true);
      };
      timer = this.clock.setTimeout(() => {
        this.onIdle = undefined;
        resolve(false);
      }, withinMs);
    });
  }

  private checkIdle(): void {
    if (this.onIdle && this.inFlight === 0) {
      const onIdle = this.onIdle;
      this.onIdle = undefined;
      onIdle();
    }
  }

  private report(): void {
    const now = this.clock.now();
    const kinds = [...this.runners].map(([kind, runner]) => [kind, runner.stats.takeInterval()] as const);
    this.print(formatSummary('interval', now - this.intervalStartedAt, kinds));
    this.intervalStartedAt = now;
  }
}
