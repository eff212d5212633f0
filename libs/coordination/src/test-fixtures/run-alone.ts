import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The package folder: `@nestmesh/coordination`, ioredis, etcd3 and `@nestmesh/testing` resolve from it. */
const packageRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface AloneRun {
  /** Whether the process ended on its own before the deadline. */
  readonly exitedAlone: boolean;
  readonly code: number | null;
  readonly stdout: string;
  /** Its stderr; when it had to be stopped, ends with what kept it alive. */
  readonly stderr: string;
}

// SIGUSR2 listeners keep nothing alive (Node unrefs signal handles): the parent sends it at the
// deadline to learn what still holds the process, then the child exits.
const PRELUDE = `process.on('SIGUSR2', () => {
  process.stderr.write('still alive, held by: ' + JSON.stringify(process.getActiveResourcesInfo()) + '\\n');
  process.exit(70);
});
`;

/**
 * Runs `source` (an ES module) in a new Node process and waits up to `deadlineMs` for it to
 * exit by itself: the check that nothing it started (a connection, a timer) outlives the
 * `close()` it calls. A process still running at the deadline is stopped and reported with
 * the handles that kept it alive.
 */
export async function runAlone(
  source: string,
  { deadlineMs, env = {} }: { deadlineMs: number; env?: Record<string, string | undefined> },
): Promise<AloneRun> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', PRELUDE + source], {
    cwd: packageRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>(
    (resolve) => (timer = setTimeout(resolve, deadlineMs, 'deadline')),
  );
  const first = await Promise.race([exited, deadline]);
  clearTimeout(timer);
  if (first !== 'deadline') return { exitedAlone: true, code: first[0], stdout, stderr };
  child.kill('SIGUSR2');
  const reported = setTimeout(() => child.kill('SIGKILL'), 2000);
  const [code] = await exited;
  clearTimeout(reported);
  return { exitedAlone: false, code, stdout, stderr };
}
