import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, spawnOwned } from './child-process.js';
import { freePort } from './free-port.js';
import { clusterControls } from './redis-cluster-controls.js';
import { redisCli, type MigrateSlotOptions } from './redis-cluster-topology.js';
import { ping } from './redis-server.js';
import { serverProcess, type ServerProcess } from './server-process.js';

export interface StartRedisClusterOptions {
  /** Primaries, each with one replica. Default 3 (six processes), the least redis-cli accepts. */
  primaries?: number;
  /**
   * `cluster-node-timeout` in ms: how long a node may be unreachable before it is flagged
   * failing and its replica takes over. Default 1500 (Redis' own default is 15000): failover
   * tests take seconds, not a minute.
   */
  nodeTimeoutMs?: number;
}

/** One redis-server of the cluster, with its controls. */
export interface RedisClusterNode {
  readonly port: number;
  /** Its cluster node id (kept across restarts in its nodes.conf). */
  readonly id: string;
  /** SIGKILL (default) or `signal`, and waits for the exit. Its data is gone: no persistence. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again; it rejoins with its id (as a replica if it was replaced meanwhile). */
  start(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing is answered (a hung node). */
  pause(): void;
  resume(): void;
  /** Started and not paused. */
  readonly running: boolean;
  /** Its process id while it runs (for pinning it to a CPU in benchmarks). */
  readonly pid: number | undefined;
  /** Whether it serves as a primary now, as it says itself. */
  isPrimary(): Promise<boolean>;
  /** One command through redis-cli, its reply as text (an error reply rejects). */
  command(...args: string[]): Promise<string>;
}

export interface RedisCluster {
  /** `redis+cluster://127.0.0.1:<port>,…`: every node as a seed. */
  readonly url: string;
  readonly nodes: readonly RedisClusterNode[];
  readonly nodeTimeoutMs: number;
  /** The hash slot of `key` (CLUSTER KEYSLOT). */
  slotOf(key: string): Promise<number>;
  /** The node serving `slot` now (asked of a live node). */
  primaryOfSlot(slot: number): Promise<RedisClusterNode>;
  primaryOf(key: string): Promise<RedisClusterNode>;
  /** The replica of `primary` (as the live nodes see it). */
  replicaOf(primary: RedisClusterNode): Promise<RedisClusterNode>;
  /**
   * Hands `primary`'s slots to its replica with CLUSTER FAILOVER (no write lost: the replica
   * catches up first); resolves with the new primary once every live node agrees.
   */
  failover(primary: RedisClusterNode): Promise<RedisClusterNode>;
  /**
   * Kills `primary` and resolves with its replica once that one was elected (after about the
   * node timeout) and every live node agrees. Writes not yet replicated are lost.
   */
  killPrimary(primary: RedisClusterNode): Promise<RedisClusterNode>;
  /** Moves `slot` to `to` while it serves, keys in batches (ASK meanwhile; see migrateSlot). */
  migrateSlot(slot: number, to: RedisClusterNode, options?: MigrateSlotOptions): Promise<void>;
  /**
   * Resolves once every running node says `cluster_state:ok`, they agree on who serves each
   * slot, and every running replica's link to its primary is up (it has synced).
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node and removes their folders; safe to call twice. */
  stop(): Promise<void>;
}

/** A bound for a loaded machine; a quiet one builds the cluster in about two seconds. */
const HEALTHY_TIMEOUT_MS = 60_000;

/**
 * A throwaway Redis Cluster (Debian `redis-server` + `redis-cli`) on free loopback ports:
 * `primaries` primaries with one replica each, no persistence, built by
 * `redis-cli --cluster create … --cluster-replicas 1`, resolved once `cluster_state:ok` on
 * every node. Every process dies with the test process.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const { primaries = 3, nodeTimeoutMs = 1_500 } = options;
  requireBinary('redis-server', 'redis-server');
  requireBinary('redis-cli', 'redis-tools');
  const folder = mkdtempSync(join(tmpdir(), 'nestmesh-redis-cluster-'));
  const processes: { port: number; server: ServerProcess }[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const { server } of processes) server.child?.kill('SIGCONT');
    await Promise.all(processes.map(({ server }) => server.kill('SIGTERM')));
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < primaries * 2; index++) {
      const port = await freePort();
      const server = nodeProcess(port, await freePort(), folder, nodeTimeoutMs);
      processes.push({ port, server });
      await server.start();
    }
    await create(processes.map(({ port }) => port));
    const nodes = await Promise.all(processes.map(({ port, server }) => clusterNode(port, server)));
    const cluster = clusterControls(nodes, nodeTimeoutMs, stop);
    await cluster.waitUntilHealthy();
    return cluster;
  } catch (error) {
    await stop();
    throw error;
  }
}

function nodeProcess(port: number, busPort: number, folder: string, nodeTimeoutMs: number): ServerProcess {
  const settings = [
    ...['--port', String(port), '--bind', '127.0.0.1', '--dir', folder],
    // A free bus port of its own: Redis' default, port + 10000, may be another process' port.
    ...['--cluster-port', String(busPort)],
    ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
    ...['--cluster-node-timeout', String(nodeTimeoutMs)],
    // A replica may take over however long it was cut off (a paused test node lags).
    ...['--cluster-replica-validity-factor', '0'],
    // A new replica syncs at once (Redis waits 5 s by default for more replicas to join).
    ...['--repl-diskless-sync-delay', '0'],
    ...['--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
  ];
  return serverProcess({
    description: `redis-server (cluster) on port ${port}`,
    spawn: () => spawnOwned('redis-server', settings, { stdio: ['ignore', 'pipe', 'pipe'] }),
    ready: () => ping({ port }),
    timeoutMs: 30_000,
    intervalMs: 20,
  });
}

async function create(ports: readonly number[]): Promise<void> {
  const addresses = ports.map((port) => `127.0.0.1:${port}`);
  await new Promise<void>((resolve, reject) => {
    execFile(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'],
      { timeout: HEALTHY_TIMEOUT_MS, encoding: 'utf8' },
      (error, stdout, stderr) =>
        error ? reject(new Error(`redis-cli --cluster create: ${stdout}${stderr}`)) : resolve(),
    );
  });
}

async function clusterNode(port: number, server: ServerProcess): Promise<RedisClusterNode> {
  const id = await redisCli(port, ['CLUSTER', 'MYID']);
  let paused = false;
  return {
    port,
    id,
    get running() {
      return server.child !== undefined && !paused;
    },
    get pid() {
      return server.child?.pid;
    },
    kill: (signal) => server.kill(signal),
    start: () => server.start(),
    pause: () => {
      paused = true;
      server.child?.kill('SIGSTOP');
    },
    resume: () => {
      paused = false;
      server.child?.kill('SIGCONT');
    },
    isPrimary: async () => (await redisCli(port, ['ROLE'])).startsWith('master'),
    command: (...args) => redisCli(port, args),
  };
}
