// The app processes of the local stack, each restartable with the same ports and environment.
import { startAppProcess, type AppProcess } from '@nestmesh/testing';

/** How long one app may take to start: seconds when the machine is idle, far more when it is busy. */
const START_TIMEOUT_MS = 120_000;

export interface AppSpec {
  /** `order-1`, `inventory-2`, `loadgen`: the name fault toggles use. */
  name: string;
  script: string;
  env: Record<string, string>;
  readyPattern: RegExp;
}

/** One app of the stack: started, killed, paused and started again as the same instance slot. */
export class StackApp {
  private process: AppProcess | undefined;
  private paused = false;

  constructor(
    readonly spec: AppSpec,
    private readonly echo: boolean,
  ) {}

  get pid(): number | undefined {
    const child = this.process?.child;
    // A process killed by a signal keeps exitCode null: signalCode says it has exited.
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  get state(): 'running' | 'paused' | 'stopped' {
    if (this.pid === undefined) return 'stopped';
    return this.paused ? 'paused' : 'running';
  }

  /** The ready line's match; undefined while stopped. */
  get ready(): RegExpExecArray | undefined {
    return this.pid === undefined ? undefined : this.process?.ready;
  }

  async start(): Promise<void> {
    if (this.pid !== undefined) return;
    this.paused = false;
    this.process = await startAppProcess(this.spec.script, {
      env: this.spec.env,
      readyPattern: this.spec.readyPattern,
      echo: this.echo ? `[${this.spec.name}]` : undefined,
      timeoutMs: START_TIMEOUT_MS,
      detached: true,
    });
  }

  /** SIGKILL: a crash. It stays down until `start`. */
  async kill(): Promise<void> {
    await this.process?.stop('SIGKILL');
  }

  /** SIGSTOP: a hung process, its connections open. */
  pause(): void {
    if (this.pid === undefined) throw new Error(`${this.spec.name} is not running`);
    process.kill(this.pid, 'SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (this.pid === undefined) throw new Error(`${this.spec.name} is not running`);
    process.kill(this.pid, 'SIGCONT');
    this.paused = false;
  }

  /** SIGTERM (after a SIGCONT, or a paused process would never drain) and wait for the exit. */
  async stop(): Promise<void> {
    if (this.pid === undefined) return;
    if (this.paused) this.resume();
    await this.process?.stop('SIGTERM');
  }
}
