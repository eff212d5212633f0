export interface Workers {
  /**
   * Starts no new round, waits for the rounds in progress to finish, and rejects with the
   * first error a round threw (a round should catch what it expects; anything else stops
   * every loop).
   */
  stop(): Promise<void>;
}

export interface StartWorkersOptions {
  /**
   * Stops the loops and aborts the signal their rounds get. Pass the test's `t.signal`: node
   * aborts it when the test ends, fails or times out, so no load outlives its test.
   */
  signal?: AbortSignal;
}

/**
 * Runs `count` concurrent loops, each calling `round` again as soon as the previous one
 * settles, until `stop()` or the signal. Each round gets a signal that aborts when the
 * options' signal does, for its requests to abort with it.
 */
export function startWorkers(
  count: number,
  round: (signal: AbortSignal) => Promise<void>,
  { signal }: StartWorkersOptions = {},
): Workers {
  const cancelled = new AbortController();
  let running = true;
  const cancel = () => {
    running = false;
    cancelled.abort(signal?.reason);
  };
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, { once: true });

  const loop = async () => {
    while (running) {
      try {
        await round(cancelled.signal);
      } catch (error) {
        if (cancelled.signal.aborted) return; // cut short by the signal: not the round's fault
        running = false;
        throw error;
      }
    }
  };
  const loops = Promise.allSettled(Array.from({ length: count }, loop));
  return {
    stop: async () => {
      running = false;
      const outcomes = await loops;
      signal?.removeEventListener('abort', cancel);
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
