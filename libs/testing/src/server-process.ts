import type { ChildProcess } from 'node:child_process';

import { signalAndWait } from './child-process.js';
import { waitFor } from './wait-for.js';

export interface ServerProcessOptions {
  /** `redis-server on port 1234`: in the failure message. */
  description: string;
  /** Starts the process (with `spawnOwned`, its stdout and stderr piped). */
  spawn: () => ChildProcess;
  /** Whether it serves yet (a PING, a health URL, …). */
  ready: () => Promise<boolean>;
  /** How long it may take to serve: a bound for a loaded machine. */
  timeoutMs: number;
  intervalMs: number;
  /**
   * Called when a started process exits without `kill` (a crash), with its exit code or signal
   * and the last of its output. Default: nothing (the next use of the server fails).
   */
  onUnexpectedExit?: (exit: UnexpectedExit) => void;
}

export interface UnexpectedExit {
  description: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last 4 kB of its stdout and stderr. */
  output: string;
}

const KEPT_OUTPUT = 4096;

/** A server process that can be killed and started again, the same way each time. */
export interface ServerProcess {
  /** Spawns it and resolves once `ready`; a start that fails kills it and reports its output. */
  readonly start: () => Promise<void>;
  /** Sends `signal` (default SIGKILL) and waits for the exit. */
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>;
  /** The running process, if any (for its pid, or to pause it). */
  readonly child: ChildProcess | undefined;
}

/** The start/kill cycle every throwaway server of this lib shares (redis-server, etcd, haproxy). */
export function serverProcess({
  description,
  spawn,
  ready,
  timeoutMs,
  intervalMs,
  onUnexpectedExit,
}: ServerProcessOptions): ServerProcess {
  let child: ChildProcess | undefined;
  return {
    get child() {
      return child;
    },
    start: async () => {
      let output = '';
      const started = spawn();
      child = started;
      const keep = (chunk: string) => (output = (output + chunk).slice(-KEPT_OUTPUT));
      started.stdout!.setEncoding('utf8').on('data', keep);
      started.stderr!.setEncoding('utf8').on('data', keep);
      let exited = false;
      started.once('exit', (code, signal) => {
        exited = true;
        // `kill` forgets the child before signalling it: still ours here means nobody asked.
        if (child !== started) return;
        child = undefined;
        onUnexpectedExit?.({ description, code, signal, output });
      });
      try {
        await waitFor(
          async () => {
            if (exited) throw new Error(`${description} exited: ${output}`);
            return ready();
          },
          { timeoutMs, intervalMs, description },
        );
      } catch (error) {
        await signalAndWait(started, 'SIGKILL');
        throw error;
      }
    },
    kill: async (signal: NodeJS.Signals = 'SIGKILL') => {
      const running = child;
      child = undefined;
      await signalAndWait(running, signal);
    },
  };
}
