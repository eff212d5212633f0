import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export interface ServerProcess {
  kind: string;
  port: number;
  /** Stops it and returns the number of calls it says it handled; rejects if it did not exit cleanly. */
  stop(): Promise<number>;
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
    stop: async () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`bench server ${kind} exited with ${code} on SIGTERM`);
      return Number(/handled (\d+)/.exec(output)?.[1] ?? Number.NaN);
    },
  };
}
