import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';

const onPath = new Map<string, boolean>();

/** Throws, naming the Debian package, when `command` is not on PATH (tests never skip for it). */
export function requireBinary(command: string, debianPackage: string): void {
  if (!onPath.has(command)) {
    onPath.set(command, spawnSync('sh', ['-c', `command -v ${command}`]).status === 0);
  }
  if (!onPath.get(command)) {
    throw new Error(
      `testing: "${command}" is not on PATH; install it with: apt-get install -y ${debianPackage}`,
    );
  }
}

/**
 * `spawn`, except that the child dies with this process however this process ends, SIGKILL
 * included, so a killed test run leaves no redis-server, etcd or app process behind. On Linux
 * the command starts under util-linux's `setpriv --pdeathsig KILL`, which asks the kernel to
 * SIGKILL it when its parent dies and then execs it: `child.pid` is the command's own pid, and
 * signals sent to the child reach it directly. Other systems have no parent-death signal; there
 * it is a plain spawn.
 */
export function spawnOwned(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  if (process.platform !== 'linux') return spawn(command, args, options);
  requireBinary('setpriv', 'util-linux');
  return spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], options);
}

/** Sends `signal` to a running child and resolves when it has exited (at once if it already has). */
export async function signalAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
