import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

import { spawnOwned } from './child-process.js';

export interface AppProcess {
  readonly child: ChildProcess;
  /** What the process printed so far (stdout and stderr). */
  output(): string;
  /** The match of `readyPattern` on the ready line. */
  readonly ready: RegExpExecArray;
  /** Sends `signal` and waits for the exit; resolves with the exit code or signal name. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export interface StartAppProcessOptions {
  env?: Record<string, string | undefined>;
  /** Arguments after the script. */
  args?: string[];
  /** A line on stdout that says the app is ready; its match is returned. */
  readyPattern: RegExp;
  /** How long to wait for the ready line before killing it and failing. Default 60 000 (a loaded machine). */
  timeoutMs?: number;
  /** Echo the process's output to this process's stderr, prefixed. */
  echo?: string;
  /** Its own process group, so a terminal's Ctrl-C reaches only the parent (which stops it in order). */
  detached?: boolean;
}

/**
 * Starts `node <script>` and resolves once it prints a line matching `readyPattern`. The process
 * dies with this one (see `spawnOwned`), and is killed when it is not ready in time.
 */
export async function startAppProcess(
  script: string,
  { env = {}, args = [], readyPattern, timeoutMs = 60_000, echo, detached = false }: StartAppProcessOptions,
): Promise<AppProcess> {
  const child = spawnOwned(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  let output = '';
  const onData = (chunk: string) => {
    output += chunk;
    if (echo) process.stderr.write(chunk.replace(/^(?=.)/gm, `${echo} `));
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exited = once(child, 'exit');
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A process that is not ready in time is not left running behind the failed test.
      child.kill('SIGKILL');
      reject(new Error(`${script} was not ready after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      const match = readyPattern.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve(match);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(([code, signal]) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  return {
    child,
    ready,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const [code, exitSignal] = (await exited) as [number | null, NodeJS.Signals | null];
      return code ?? exitSignal ?? 'unknown';
    },
  };
}
