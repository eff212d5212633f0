import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, spawnOwned } from './child-process.js';
import { freePort } from './free-port.js';
import { serverProcess } from './server-process.js';

/** The server's jar as Debian's `zookeeper` package installs it (its manifest names its dependencies). */
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';

/**
 * How long a start may take: a JVM and ZooKeeper's startup take about 10 s on a busy 2-core
 * machine (3–4 s on a quiet one); 90 s is a bound for a heavily loaded one, not an estimate.
 */
const START_TIMEOUT_MS = 90_000;

/**
 * ZooKeeper's clock tick, in ms: sessions are checked for expiry every tick, and the session
 * timeouts a client may negotiate are bounded by it (see the config below). 200 ms instead of
 * the default 2000 lets tests ask for sessions of a second or two and see them expire on time.
 */
const TICK_MS = 200;

/**
 * ZooKeeper's `wchp` four-letter word: each watched path and the sessions (hex ids) that
 * watch it. Tests read it to check who watches what.
 */
export function watchesByPath(port: number): Promise<Map<string, string[]>> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('wchp'));
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', reject);
    socket.once('close', () => {
      const watches = new Map<string, string[]>();
      let path: string | undefined;
      for (const line of answer.split('\n')) {
        if (!line.trim()) continue;
        if (/^\s/.test(line)) watches.get(path!)?.push(line.trim());
        else watches.set((path = line.trim()), []);
      }
      resolve(watches);
    });
  });
}

export interface ZookeeperServer {
  /** `zk://127.0.0.1:<port>`, the backend URL for NestMesh. */
  readonly url: string;
  /** `127.0.0.1:<port>`, the connection string of a plain ZooKeeper client. */
  readonly connectionString: string;
  readonly port: number;
  /** The server's process id while it runs. */
  readonly pid: number | undefined;
  /** SIGSTOP: it keeps its connections open and answers nothing (sessions do not expire meanwhile). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Sends `signal` (default SIGKILL) and waits for the exit; `start()` brings it back with its data. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  /** Stops it (SIGTERM), then starts it again on the same port with its data (sessions survive it). */
  restart(): Promise<void>;
  /** Stops it for good and removes its data. */
  stop(): Promise<void>;
  /** Each watched path and the sessions watching it (the `wchp` four-letter word). */
  watches(): Promise<Map<string, string[]>>;
}

/** Whether the server answers the `srvr` four-letter word as a serving standalone server. */
function serving(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('srvr'));
    // A server still starting may take the connection and answer nothing: ask again later.
    socket.setTimeout(2000, () => socket.destroy());
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(answer.includes('Mode: standalone')));
  });
}

/**
 * A throwaway standalone ZooKeeper (Debian `zookeeper`, run with the machine's `java`) on a
 * free loopback port, with its data in a temporary folder and the admin server off (no fixed
 * port anywhere). Sessions may negotiate 400 ms to 60 s (tickTime 200 ms). It dies with the
 * process that started it (setpriv). Resolves once it serves (`srvr` answers "standalone"),
 * which takes about 10 s on a busy machine: give the test's `before` a timeout above
 * START_TIMEOUT_MS.
 */
export async function startZookeeper(): Promise<ZookeeperServer> {
  requireBinary('java', 'zookeeper');
  if (!existsSync(ZOOKEEPER_JAR))
    throw new Error(`testing: ${ZOOKEEPER_JAR} is missing; install it with: apt-get install -y zookeeper`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'nestmesh-zookeeper-'));
  const config = join(dataDir, 'zoo.cfg');
  writeFileSync(
    config,
    [
      `tickTime=${TICK_MS}`,
      `dataDir=${join(dataDir, 'data')}`,
      `clientPort=${port}`,
      'clientPortAddress=127.0.0.1',
      `minSessionTimeout=${2 * TICK_MS}`,
      'maxSessionTimeout=60000',
      'admin.enableServer=false',
      '4lw.commands.whitelist=srvr,wchp',
      // Every acknowledged write on disk before the answer (the default), so restart() keeps it.
      'forceSync=yes',
      '',
    ].join('\n'),
  );
  const server = serverProcess({
    description: `zookeeper on port ${port}`,
    spawn: () =>
      spawnOwned(
        'java',
        [
          // A small heap and the serial collector: a test server on a shared 2-core machine.
          '-Xmx256m',
          '-XX:+UseSerialGC',
          `-Dzookeeper.log.dir=${dataDir}`,
          '-cp',
          ZOOKEEPER_JAR,
          'org.apache.zookeeper.server.ZooKeeperServerMain',
          config,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    ready: () => serving(port),
    timeoutMs: START_TIMEOUT_MS,
    intervalMs: 100,
  });
  const { start, kill } = server;
  await start();
  return {
    url: `zk://127.0.0.1:${port}`,
    connectionString: `127.0.0.1:${port}`,
    port,
    get pid() {
      return server.child?.pid;
    },
    pause: () => void server.child?.kill('SIGSTOP'),
    resume: () => void server.child?.kill('SIGCONT'),
    kill,
    start,
    watches: () => watchesByPath(port),
    restart: async () => {
      server.child?.kill('SIGCONT');
      await kill('SIGTERM');
      await start();
    },
    stop: async () => {
      server.child?.kill('SIGCONT');
      await kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
