import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, spawnOwned } from './child-process.js';
import { freePort } from './free-port.js';
import { serverProcess, type UnexpectedExit } from './server-process.js';

export interface HaproxyServer {
  /** The runtime API (level admin) on a unix socket: its absolute path. */
  readonly runtimeApiSocket: string;
  /** The same runtime API on a loopback TCP port: `127.0.0.1:<port>`. */
  readonly runtimeApiAddress: string;
  /** The free ports handed to `config`, by the names asked for in `ports`. */
  readonly ports: Readonly<Record<string, number>>;
  /** The process id while it runs. */
  readonly pid: number | undefined;
  /** Sends `signal` (default SIGKILL) and waits for the exit; `start()` brings it back, unconfigured. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again from the same configuration file, on the same ports and socket. */
  start(): Promise<void>;
  /** Stops it for good and removes its folder. */
  stop(): Promise<void>;
}

export interface StartHaproxyOptions {
  /** Names of the free loopback ports the configuration binds (`['http', 'grpc']`). Default none. */
  ports?: readonly string[];
  /**
   * Everything after the `global` section (defaults, frontends, backends), given the ports
   * asked for. The helper writes `global` itself, with the runtime API sockets.
   */
  config: (ports: Readonly<Record<string, number>>) => string;
  /** Told when HAProxy exits without being asked to (a crash); `start()` brings it back. */
  onUnexpectedExit?: (exit: UnexpectedExit) => void;
}

/** Sends one runtime API command and resolves with its whole answer (HAProxy then closes). */
async function ask(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(socketPath, () => socket.end(`${command}\n`));
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.once('end', () => resolve(answer));
    socket.once('error', reject);
  });
}

/**
 * A throwaway HAProxy (Debian `haproxy`) in the foreground (`-db`), with a generated
 * configuration in a temporary folder and the runtime API at admin level on both a unix socket
 * and a free TCP port. Resolves once the runtime API answers `show info` (by then every
 * listener of the configuration is bound); a start that fails kills it and reports its output.
 */
export async function startHaproxy({
  ports: portNames = [],
  config,
  onUnexpectedExit,
}: StartHaproxyOptions): Promise<HaproxyServer> {
  requireBinary('haproxy', 'haproxy');
  const ports: Record<string, number> = {};
  for (const name of portNames) ports[name] = await freePort();
  const apiPort = await freePort();
  const folder = mkdtempSync(join(tmpdir(), 'nestmesh-haproxy-'));
  const socketPath = join(folder, 'admin.sock');
  const configFile = join(folder, 'haproxy.cfg');
  const global = [
    'global',
    `  stats socket ${socketPath} level admin`,
    `  stats socket ipv4@127.0.0.1:${apiPort} level admin`,
    '',
  ].join('\n');
  writeFileSync(configFile, `${global}${config(ports)}\n`);
  const server = serverProcess({
    description: `haproxy with ${configFile}`,
    spawn: () => spawnOwned('haproxy', ['-db', '-f', configFile], { stdio: ['ignore', 'pipe', 'pipe'] }),
    ready: async () => (await ask(socketPath, 'show info')).includes('Name: HAProxy'),
    // A bound for a loaded machine; it answers within milliseconds on a quiet one.
    timeoutMs: 30_000,
    intervalMs: 20,
    onUnexpectedExit,
  });
  const { start, kill } = server;

  try {
    await start();
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  return {
    runtimeApiSocket: socketPath,
    runtimeApiAddress: `127.0.0.1:${apiPort}`,
    ports,
    get pid() {
      return server.child?.pid;
    },
    kill,
    start,
    stop: async () => {
      await kill('SIGTERM');
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
