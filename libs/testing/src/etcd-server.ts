import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, spawnOwned } from './child-process.js';
import { freePort } from './free-port.js';
import { serverProcess } from './server-process.js';

export interface EtcdServer {
  /** `http://127.0.0.1:<port>`, the client URL. */
  readonly endpoint: string;
  /** The server's process id while it runs. */
  readonly pid: number | undefined;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
  /** Sends `signal` (default SIGKILL) and waits for the process to end; `start()` brings it back. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports; `wipe: true` starts from empty data (every lease lost). */
  start(options?: { wipe?: boolean }): Promise<void>;
}

/**
 * A throwaway single-member etcd (Debian `etcd-server`) on free loopback ports with its data in
 * a temporary folder. Resolves once it answers /health.
 */
export async function startEtcd({ detached = false }: { detached?: boolean } = {}): Promise<EtcdServer> {
  requireBinary('etcd', 'etcd-server');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let dataDir = mkdtempSync(join(tmpdir(), 'nestmesh-etcd-'));

  const server = serverProcess({
    description: `etcd on ${endpoint}`,
    spawn: () =>
      spawnOwned(
        'etcd',
        [
          '--name',
          'test',
          '--data-dir',
          dataDir,
          '--listen-client-urls',
          endpoint,
          '--advertise-client-urls',
          endpoint,
          '--listen-peer-urls',
          peer,
          '--initial-advertise-peer-urls',
          peer,
          '--initial-cluster',
          `test=${peer}`,
          '--log-level',
          'error',
        ],
        // detached: its own process group, so a terminal's Ctrl-C does not kill it before the
        // apps that use it have deregistered.
        { stdio: ['ignore', 'pipe', 'pipe'], detached },
      ),
    ready: async () => {
      const response = await fetch(`${endpoint}/health`);
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    },
    // A bound for a loaded machine; it is healthy within a second on a quiet one.
    timeoutMs: 60_000,
    intervalMs: 50,
  });
  const { kill } = server;
  const start = async ({ wipe = false }: { wipe?: boolean } = {}) => {
    if (wipe) {
      rmSync(dataDir, { recursive: true, force: true });
      dataDir = mkdtempSync(join(tmpdir(), 'nestmesh-etcd-'));
    }
    await server.start();
  };

  await start();
  return {
    endpoint,
    get pid() {
      return server.child?.pid;
    },
    start,
    kill,
    stop: async () => {
      await kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
