import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface ServerProcess {
  kind: string;
  port: number;
  /** CPU seconds (user + system, all threads) the process has used so far, from /proc. */
  cpuSeconds(): number;
  /** Stops it and returns the number of calls it says it handled; rejects if it did not exit cleanly. */
  stop(): Promise<number>;
}

let clockTicks: number | undefined;

/** utime + stime of `pid` in seconds (fields 14 and 15 of /proc/<pid>/stat, in clock ticks). */
function cpuSecondsOf(pid: number): number {
  clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

export function requireCommand(command: string, debianPackage: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0) {
    throw new Error(
      `bench: "${command}" is not installed; install it with: apt-get install -y ${debianPackage}`,
    );
  }
}

/**
 * Starts `server.js <kind>` pinned to `core` and waits for its `ready <port>` line; `env` is
 * added to this process's environment (telemetry settings). `label` names it in reports.
 */
export async function startServer(
  kind: string,
  core: number,
  env: NodeJS.ProcessEnv = {},
  label = kind,
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    'taskset',
    ['-c', String(core), process.execPath, join(here, 'server.js'), kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...env },
    },
  );
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const check = () => {
      const match = /ready (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`bench server ${kind} exited with ${code}: ${output}`)));
  });
  return {
    kind: label,
    port,
    // taskset execs the server, so the child's pid is the server's.
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    stop: async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`bench server ${kind} exited with ${code} on SIGTERM`);
      return Number(/handled (\d+)/.exec(output)?.[1] ?? Number.NaN);
    },
  };
}
