// An open-loop load: calls are sent on a fixed schedule whatever the answers, and each one's
// latency counts from when it was *meant* to be sent, so a stalled client or event loop shows
// up as latency instead of silently lowering the rate (coordinated omission).

export interface CallOutcome {
  /** When the call was meant to start, ms on performance.now(). */
  intendedAt: number;
  /** Completion − intendedAt, ms. */
  latencyMs: number;
  /** The gRPC status code (0 for OK, -1 for an error that is not an RpcError). */
  code: number;
  /** The instance that answered, for successful calls. */
  servedBy?: string;
  /** The status message, for failed calls. */
  details?: string;
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  /** One call; resolves with the instance that served it, rejects with a `code`d error. */
  call: () => Promise<string>;
  /** Called once, `atMs` after the start (a fault injected mid-run). */
  midRun?: { atMs: number; action: () => void };
}

export async function openLoop({ ratePerSecond, durationMs, call, midRun }: OpenLoopOptions) {
  const outcomes: Promise<CallOutcome>[] = [];
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  const startedAt = performance.now();
  const intervalMs = 1000 / ratePerSecond;
  let midRunDone = !midRun;
  let sent = 0;
  while (sent < total) {
    const now = performance.now();
    if (!midRunDone && now - startedAt >= midRun!.atMs) {
      midRunDone = true;
      midRun!.action();
    }
    // Every call due by now goes out, late ones included: the schedule is never stretched.
    while (sent < total && startedAt + sent * intervalMs <= now) {
      const intendedAt = startedAt + sent * intervalMs;
      outcomes.push(
        call().then(
          (servedBy) => ({ intendedAt, latencyMs: performance.now() - intendedAt, code: 0, servedBy }),
          // The mesh client's RpcError: `status` is the gRPC code (`code` is its name).
          (error: { status?: number; details?: string; message?: string }) => ({
            intendedAt,
            latencyMs: performance.now() - intendedAt,
            code: typeof error?.status === 'number' ? error.status : -1,
            details: error?.details ?? error?.message,
          }),
        ),
      );
      sent++;
    }
    // Sleep until the next call is due (or the fault is), not a fixed tick: less CPU to measure.
    const nextAt = Math.min(
      startedAt + sent * intervalMs,
      midRunDone ? Number.POSITIVE_INFINITY : startedAt + midRun!.atMs,
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextAt - performance.now())));
  }
  return { startedAt, outcomes: await Promise.all(outcomes) };
}
