/**
 * Runs a TTL check's heartbeat every `intervalMs` until the returned function is called.
 * The default is an unref'd `setInterval`; tests pass a manual clock.
 */
export type HeartbeatScheduler = (beat: () => Promise<void>, intervalMs: number) => () => void;

/** Runs `beat` every `intervalMs` on an unref'd timer (a heartbeat must not keep the process up). */
export function everyInterval(beat: () => Promise<void>, intervalMs: number): () => void {
  const timer = setInterval(() => void beat(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The TTL heartbeats of one registry: at most one per instance id. */
export class TtlHeartbeats {
  private readonly stops = new Map<string, () => void>();

  constructor(private readonly schedule: HeartbeatScheduler = everyInterval) {}

  /**
   * Beats now and every `intervalMs`. Replaces the heartbeat of the same id: registering an
   * instance again replaces its check, so one heartbeat per check, never one per call.
   */
  start(id: string, beat: () => Promise<void>, intervalMs: number): void {
    this.stop(id);
    void beat();
    this.stops.set(id, this.schedule(beat, intervalMs));
  }

  stop(id: string): void {
    this.stops.get(id)?.();
    this.stops.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.stops.keys()]) this.stop(id);
  }
}
