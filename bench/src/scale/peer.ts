// How the scale benchmark drives its instance and client hosts: one request/reply protocol,
// over a child process's stdin/stdout (JSON lines) or, for the memory registry, which cannot
// span processes, by direct calls in this process.
import { spawnOwned } from '@nestmesh/testing';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A host answers operations by name; `close()` stops everything it started. */
export interface Host {
  handle(operation: string, argument: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export interface Peer {
  call<T>(operation: string, argument?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** Wall-clock ms with sub-ms precision, comparable between processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function localPeer(host: Host): Peer {
  return {
    call: async <T>(operation: string, argument?: unknown) => (await host.handle(operation, argument)) as T,
    close: () => host.close(),
  };
}

/** Starts `script` (a compiled host main) with `env`, resolved once it prints `ready`. */
export async function childPeer(script: string, env: NodeJS.ProcessEnv): Promise<Peer> {
  const child: ChildProcess = spawnOwned(process.execPath, ['--expose-gc', script], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env, NESTMESH_QUIET: '1' },
  });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let sequence = 0;
  let exited = false;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => {
      exited = true;
      const error = new Error(`bench host ${script} exited: ${code ?? signal}`);
      reject(error);
      for (const each of pending.values()) each.reject(error);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'ready') return resolve();
      if (!line.startsWith('{')) return;
      const reply = JSON.parse(line) as { id: number; result?: unknown; error?: string };
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      if (reply.error === undefined) waiting?.resolve(reply.result);
      else waiting?.reject(new Error(reply.error));
    });
  });
  await ready;
  return {
    call: <T>(operation: string, argument?: unknown) =>
      new Promise<T>((resolve, reject) => {
        const id = ++sequence;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.stdin!.write(`${JSON.stringify({ id, operation, argument })}\n`);
      }),
    close: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await gone;
    },
  };
}

/** The main of a host process: answers requests on stdin until it closes, then closes the host. */
export function serveHost(host: Host): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const { id, operation, argument } = JSON.parse(line) as {
      id: number;
      operation: string;
      argument: unknown;
    };
    host.handle(operation, argument).then(
      (result) => process.stdout.write(`${JSON.stringify({ id, result })}\n`),
      (error: unknown) => process.stdout.write(`${JSON.stringify({ id, error: String(error) })}\n`),
    );
  });
  lines.once('close', () => {
    void host.close().then(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

/** CPU seconds (user + system) this process has used. */
export function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** Heap and RSS after a full collection (hosts run with --expose-gc), in bytes. */
export function settledMemory(): { rss: number; heapUsed: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}
