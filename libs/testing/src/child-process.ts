import { spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Throws, naming the Debian package, when `command` is not on PATH (tests never skip for it). */
export function requireBinary(command: string, debianPackage: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0) {
    throw new Error(
      `testing: "${command}" is not on PATH; install it with: apt-get install -y ${debianPackage}`,
    );
  }
}

/** Sends `signal` to a running child and resolves when it has exited (at once if it already has). */
export async function signalAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
