// The chaos benchmark's inventory processes: started with their faults, counted, killed.
import { spawnOwned } from '@nestmesh/testing';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** In the message of every failure a chaos server injects (chaos-server.ts). */
export const INJECTED = 'injected failure';

export interface Fault {
  delayMs?: number;
  failRatio?: number;
  /** SIGKILLed this far into the measured run (it stays registered: no deregistration). */
  killAtMs?: number;
  /** Frozen (SIGSTOP) the first `frozenMs` of every `periodMs`: a gray failure, health intact. */
  freeze?: { frozenMs: number; periodMs: number };
}

export class ChaosInstance {
  /** GetStock calls that reached it, and those it failed on purpose (its last report). */
  arrived = 0;
  failed = 0;
  private constructor(
    readonly name: string,
    readonly fault: Fault,
    private readonly child: ChildProcess,
  ) {}

  static async start(name: string, discoveryUrl: string, fault: Fault) {
    const child = spawnOwned(process.execPath, [join(here, 'chaos-server.js')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        CHAOS_NAME: name,
        CHAOS_DELAY_MS: String(fault.delayMs ?? 0),
        CHAOS_FAIL_RATIO: String(fault.failRatio ?? 0),
        DISCOVERY_URL: discoveryUrl,
        NESTMESH_QUIET: '1',
      },
    });
    const instance = new ChaosInstance(name, fault, child);
    let buffered = '';
    const ready = new Promise<void>((resolve, reject) => {
      child.once('exit', (code, signal) =>
        reject(new Error(`chaos server ${name} exited: ${code ?? signal}`)),
      );
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith('ready ')) resolve();
          const count = /^count (\d+) (\d+)$/.exec(line);
          if (count) [instance.arrived, instance.failed] = [Number(count[1]), Number(count[2])];
        }
      });
    });
    await ready;
    return instance;
  }

  /** A crash: no deregistration, its connections reset. */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  private freezing: NodeJS.Timeout | undefined;

  /** Starts its `freeze` cycle, if it has one (SIGSTOP, then SIGCONT `frozenMs` later). */
  startFreezing(): void {
    const freeze = this.fault.freeze;
    if (!freeze) return;
    const cycle = () => {
      this.child.kill('SIGSTOP');
      setTimeout(() => this.child.kill('SIGCONT'), freeze.frozenMs);
    };
    cycle();
    this.freezing = setInterval(cycle, freeze.periodMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.freezing);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGCONT');
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    await exited;
  }
}
