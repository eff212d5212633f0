// The built `nestmesh` bin run as a user runs it: a child process with its own environment,
// stdin, stdout, stderr and exit code — for the CLI's end-to-end tests.
import { once } from 'node:events';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signalAndWait, spawnOwned, waitFor } from '@nestmesh/testing';

export const cliMain = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '../../..'),
  'tools/cli/dist/main.js',
);

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** The environment besides PATH and HOME; DISCOVERY_URL and the like are unset unless given. */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed (an empty stdin when not given). */
  stdin?: string;
  /** Working directory; default the repository root. */
  cwd?: string;
}

/** A running `nestmesh` whose output is read as it comes. */
export interface CliProcess {
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches `pattern` (fails after `timeoutMs`, default 30 s, naming both outputs). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  interrupt(): Promise<CliRun>;
  /** Resolves when it exits by itself. */
  exited(): Promise<CliRun>;
}

export function startCli(args: readonly string[], { env = {}, stdin, cwd }: CliOptions = {}): CliProcess {
  const child = spawnOwned(process.execPath, [cliMain, ...args], {
    cwd: cwd ?? resolve(dirname(cliMain), '../../..'),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  if (stdin !== undefined) child.stdin!.end(stdin);
  else child.stdin!.end();
  const exit = once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStdout: async (pattern, timeoutMs = 30_000) => {
      await waitFor(() => pattern.test(stdout) || undefined, {
        timeoutMs,
        description: `nestmesh ${args.join(' ')} to print ${pattern} (stdout: ${stdout}; stderr: ${stderr})`,
      });
    },
    interrupt: async () => {
      await signalAndWait(child, 'SIGINT');
      return exit;
    },
    exited: () => exit,
  };
}

/** Runs `nestmesh <args>` to its end. */
export function runCli(args: readonly string[], options?: CliOptions): Promise<CliRun> {
  return startCli(args, options).exited();
}
