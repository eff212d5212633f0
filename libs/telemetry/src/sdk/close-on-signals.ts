import type { TelemetryHandle } from '../telemetry-handle.js';

/** The signals an app stops on: a terminal's Ctrl-C, an orchestrator's stop, a closed terminal. */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Nest's `enableShutdownHooks()`, with telemetry flushed last: on the first stop signal it runs
 * `close` (the app's `close()`: drain, deregister, hooks), then `telemetry.shutdown()` (the last
 * spans, those of the drain included, are exported), then raises the signal again so the exit
 * status is the signal's, as with Nest's own hooks. A `close` that throws is reported on stderr
 * and ends the process with status 1, telemetry still flushed.
 */
export function closeOnSignals(telemetry: TelemetryHandle, close: () => Promise<unknown>): void {
  const stop = (signal: NodeJS.Signals) => {
    for (const name of STOP_SIGNALS) process.off(name, stop);
    void close()
      .then(
        () => undefined,
        (error: unknown) => error,
      )
      .then(async (error) => {
        await telemetry.shutdown();
        if (error === undefined) {
          process.kill(process.pid, signal);
        } else {
          console.error(`${signal}: the app did not close cleanly:`, error);
          process.exit(1);
        }
      });
  };
  for (const name of STOP_SIGNALS) process.once(name, stop);
}
