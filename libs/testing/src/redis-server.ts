import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, spawnOwned } from './child-process.js';
import { freePort } from './free-port.js';
import { serverProcess } from './server-process.js';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  /** Sends `signal` (default SIGKILL) and waits for the exit; `start()` brings it back, empty. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  /** The server's process id while it runs (for pinning it to a CPU in benchmarks). */
  readonly pid: number | undefined;
  /** SIGSTOP: it keeps its connections open and answers nothing (a hung server). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops it for good. */
  stop(): Promise<void>;
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A throwaway redis-server (Debian `redis-server`) on a free loopback port. Without
 * `persistent` it keeps nothing, so a restart starts empty; with it, every write is appended
 * and fsynced (appendfsync always) in a temporary folder, so a restart keeps every
 * acknowledged write. Resolves once it answers PING.
 */
export async function startRedis({
  persistent = false,
}: { persistent?: boolean } = {}): Promise<RedisServer> {
  requireBinary('redis-server', 'redis-server');
  const port = await freePort();
  const dataDir = persistent ? mkdtempSync(join(tmpdir(), 'nestmesh-redis-')) : undefined;
  const persistence = dataDir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dataDir]
    : ['--appendonly', 'no'];
  const server = serverProcess({
    description: `redis-server on port ${port}`,
    spawn: () =>
      spawnOwned(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          ...persistence,
          '--loglevel',
          'warning',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    ready: () => ping(port),
    // A bound for a loaded machine; it starts in milliseconds on a quiet one.
    timeoutMs: 30_000,
    intervalMs: 20,
  });
  const { start, kill } = server;

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    get pid() {
      return server.child?.pid;
    },
    pause: () => void server.child?.kill('SIGSTOP'),
    resume: () => void server.child?.kill('SIGCONT'),
    stop: async () => {
      server.child?.kill('SIGCONT');
      await kill('SIGTERM');
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
