import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, spawnOwned } from './child-process.js';
import { freePort } from './free-port.js';
import { fieldsOf, redisCommand, type RedisCommandOptions } from './redis-command.js';
import { nodeArguments, sentinelArguments, type SentinelSettings } from './redis-sentinel.config.js';
import { serverProcess, type ServerProcess } from './server-process.js';
import { waitFor } from './wait-for.js';

export interface StartRedisSentinelOptions {
  /** The name the Sentinels monitor the primary under. Default `mymaster`. */
  masterName?: string;
  /** Replicas of the primary. Default 1. */
  replicas?: number;
  /** Sentinels; the quorum that declares the primary down is a majority of them. Default 3. */
  sentinels?: number;
  /** Sentinel's `down-after-milliseconds`: silence before a node is down. Default 1000. */
  downAfterMs?: number;
  /** Sentinel's `failover-timeout`, in ms. Default 3000. */
  failoverTimeoutMs?: number;
  /**
   * The data nodes' password (`requirepass` and `masterauth`; Sentinel's `auth-pass`). No
   * spaces: Redis 7.0's Sentinel rewrites `auth-pass` into its config unquoted, so a restarted
   * Sentinel would refuse its own file.
   */
  password?: string;
  /** The Sentinels' own password (their `requirepass`). */
  sentinelPassword?: string;
}

/** One process of the deployment: a data node or a Sentinel. */
export interface SentinelMember {
  readonly port: number;
  /** Sends `signal` (default SIGKILL) and waits for the exit; `start()` brings it back. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /**
   * Starts it again. A data node comes back empty (nothing is persisted), as a replica of the
   * primary the Sentinels name when that is another node, else as a primary.
   */
  start(): Promise<void>;
  /** SIGSTOP: it keeps its connections open and answers nothing. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  readonly pid: number | undefined;
}

export interface RedisSentinelDeployment {
  /** `redis+sentinel://[:<password>@]127.0.0.1:<s1>,127.0.0.1:<s2>,…/<masterName>[?sentinelPassword=]`. */
  readonly url: string;
  readonly masterName: string;
  /** The data nodes; the first was the primary at start. */
  readonly nodes: readonly SentinelMember[];
  readonly sentinels: readonly SentinelMember[];
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
  /** The primary's port as the first Sentinel that answers names it (get-master-addr-by-name). */
  currentPrimary(): Promise<number>;
  /** The data node that is the primary now. */
  primary(): Promise<SentinelMember>;
  /**
   * SENTINEL FAILOVER (no agreement needed), then waits for the promotion: resolves with the
   * new primary's port.
   */
  failover(): Promise<number>;
  /**
   * Waits until every running Sentinel names a primary other than `formerPort` and that node
   * answers ROLE as a master; resolves with its port. Fails after `timeoutMs` (default
   * down-after + 4 × failover-timeout: a bound for a loaded machine).
   */
  waitForPromotion(formerPort: number, timeoutMs?: number): Promise<number>;
  /** Stops every process for good and removes their files; safe to call twice. */
  stop(): Promise<void>;
}

/** A bound for a loaded machine; a redis-server starts in milliseconds on a quiet one. */
const START_TIMEOUT_MS = 30_000;

/**
 * A Redis Sentinel deployment on loopback free ports (Debian's `redis-server`, which runs as
 * Sentinel with `--sentinel`): one primary, `replicas` replicas, `sentinels` Sentinels each with
 * its own config file in a throwaway folder (Sentinel rewrites it), everyone announcing
 * 127.0.0.1. Resolves once every Sentinel knows the primary, every replica and every other
 * Sentinel, and every replica is in sync. Nothing is persisted.
 */
export async function startRedisSentinel(
  options: StartRedisSentinelOptions = {},
): Promise<RedisSentinelDeployment> {
  requireBinary('redis-server', 'redis-server');
  const settings: SentinelSettings = {
    masterName: options.masterName ?? 'mymaster',
    downAfterMs: options.downAfterMs ?? 1000,
    failoverTimeoutMs: options.failoverTimeoutMs ?? 3000,
    password: options.password,
    sentinelPassword: options.sentinelPassword,
    dir: mkdtempSync(join(tmpdir(), 'nestmesh-sentinel-')),
  };
  const nodePorts = await freePorts(1 + (options.replicas ?? 1));
  const sentinelPorts = await freePorts(options.sentinels ?? 3);
  const deployment = new Deployment(settings, nodePorts, sentinelPorts);
  try {
    await deployment.startAll();
  } catch (error) {
    await deployment.stop();
    throw error;
  }
  return deployment;
}

/** A listener on `port` that closes every connection at once: the port of a member that is down. */
function portPlaceholder(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const placeholder = createServer((socket) => socket.destroy());
    placeholder.unref();
    // Taken already (it never should be): nothing to hold.
    placeholder.once('error', () => resolve(undefined));
    placeholder.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(placeholder));
  });
}

async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

class Deployment implements RedisSentinelDeployment {
  readonly nodes: SentinelMember[];
  readonly sentinels: SentinelMember[];
  private readonly processes: ServerProcess[] = [];
  /** Closes the listener that holds a killed member's port. */
  private readonly placeholders = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly settings: SentinelSettings,
    private readonly nodePorts: number[],
    private readonly sentinelPorts: number[],
  ) {
    this.nodes = nodePorts.map((port) => this.member(port, () => this.nodeArguments(port)));
    this.sentinels = sentinelPorts.map((port) =>
      this.member(port, () =>
        Promise.resolve(sentinelArguments(port, nodePorts[0], sentinelPorts.length, settings)),
      ),
    );
  }

  get masterName(): string {
    return this.settings.masterName;
  }
  get downAfterMs(): number {
    return this.settings.downAfterMs;
  }
  get failoverTimeoutMs(): number {
    return this.settings.failoverTimeoutMs;
  }

  get url(): string {
    const { password, sentinelPassword, masterName } = this.settings;
    const userInfo = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
    const hosts = this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',');
    const query =
      sentinelPassword === undefined ? '' : `?sentinelPassword=${encodeURIComponent(sentinelPassword)}`;
    return `redis+sentinel://${userInfo}${hosts}/${masterName}${query}`;
  }

  async startAll(): Promise<void> {
    // The primary first: replicas and Sentinels are started pointing at it.
    await this.nodes[0].start();
    await Promise.all(this.nodes.slice(1).map((node) => node.start()));
    await Promise.all(this.sentinels.map((sentinel) => sentinel.start()));
    await waitFor(() => this.everyoneKnowsEveryone(), {
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 100,
      description: 'every Sentinel to know the primary, its replicas and the other Sentinels',
    });
  }

  async currentPrimary(): Promise<number> {
    let lastError: unknown;
    for (const sentinel of this.sentinels.filter((member) => member.pid !== undefined)) {
      try {
        return await this.primaryNamedBy(sentinel.port);
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`redis sentinel: no Sentinel names the primary (${String(lastError)})`);
  }

  async primary(): Promise<SentinelMember> {
    const port = await this.currentPrimary();
    const node = this.nodes.find((member) => member.port === port);
    if (!node) throw new Error(`redis sentinel: the primary ${port} is none of the nodes`);
    return node;
  }

  async failover(): Promise<number> {
    const former = await this.currentPrimary();
    const running = this.sentinels.find((member) => member.pid !== undefined);
    if (!running) throw new Error('redis sentinel: no Sentinel runs');
    await this.sentinelCommand(running.port, ['SENTINEL', 'FAILOVER', this.masterName]);
    return this.waitForPromotion(former);
  }

  async waitForPromotion(formerPort: number, timeoutMs?: number): Promise<number> {
    const { downAfterMs, failoverTimeoutMs } = this.settings;
    return waitFor(
      async () => {
        const named = await Promise.all(
          this.sentinels
            .filter((member) => member.pid !== undefined)
            .map((member) => this.primaryNamedBy(member.port)),
        );
        const [port] = named;
        if (port === formerPort || named.some((other) => other !== port)) return undefined;
        const role = await redisCommand(port, ['ROLE'], this.nodeAuth());
        return Array.isArray(role) && role[0] === 'master' ? port : undefined;
      },
      {
        timeoutMs: timeoutMs ?? downAfterMs + 4 * failoverTimeoutMs,
        intervalMs: 50,
        description: `a primary other than ${formerPort}`,
      },
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const process of this.processes) process.child?.kill('SIGCONT');
    await Promise.all(this.processes.map((process) => process.kill('SIGKILL')));
    for (const close of this.placeholders) close();
    rmSync(this.settings.dir, { recursive: true, force: true });
  }

  private member(port: number, argumentsOf: () => Promise<string[]>): SentinelMember {
    let args: string[] = [];
    const server = serverProcess({
      description: `redis-server on port ${port}`,
      spawn: () => spawnOwned('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }),
      ready: async () => (await redisCommand(port, ['PING'], this.authOf(port)).catch(() => '')) === 'PONG',
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 20,
    });
    this.processes.push(server);
    // While a member is down its port stays taken: the Sentinels still list it, and would make
    // any redis-server that took the port (another test's) a replica of this deployment.
    let placeholder: Server | undefined;
    this.placeholders.add(() => placeholder?.close());
    return {
      port,
      kill: async (signal) => {
        await server.kill(signal);
        placeholder ??= await portPlaceholder(port);
      },
      start: async () => {
        args = await argumentsOf();
        await new Promise((resolve) => (placeholder ? placeholder.close(resolve) : resolve(undefined)));
        placeholder = undefined;
        await server.start();
      },
      pause: () => void server.child?.kill('SIGSTOP'),
      resume: () => void server.child?.kill('SIGCONT'),
      get pid() {
        return server.child?.pid;
      },
    };
  }

  private async nodeArguments(port: number): Promise<string[]> {
    // The primary the Sentinels name, once they run; at the first start, the first node.
    const primary = this.sentinels.some((member) => member.pid !== undefined)
      ? await this.currentPrimary()
      : this.nodePorts[0];
    return nodeArguments(port, primary, this.settings);
  }

  private async everyoneKnowsEveryone(): Promise<boolean> {
    const replicas = this.nodePorts.length - 1;
    for (const sentinel of this.sentinels) {
      const master = fieldsOf(
        await this.sentinelCommand(sentinel.port, ['SENTINEL', 'MASTER', this.masterName]),
      );
      if (Number(master.get('num-slaves')) !== replicas) return false;
      if (Number(master.get('num-other-sentinels')) !== this.sentinelPorts.length - 1) return false;
      if (master.get('flags') !== 'master') return false;
    }
    for (const port of this.nodePorts.slice(1)) {
      const role = await redisCommand(port, ['ROLE'], this.nodeAuth());
      if (!Array.isArray(role) || role[3] !== 'connected') return false;
    }
    return true;
  }

  private async primaryNamedBy(sentinelPort: number): Promise<number> {
    const reply = await this.sentinelCommand(sentinelPort, [
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      this.masterName,
    ]);
    if (!Array.isArray(reply)) throw new Error(`Sentinel ${sentinelPort} knows no ${this.masterName}`);
    return Number(reply[1]);
  }

  private sentinelCommand(port: number, args: string[]) {
    return redisCommand(port, args, { password: this.settings.sentinelPassword });
  }

  private nodeAuth(): RedisCommandOptions {
    return { password: this.settings.password };
  }

  private authOf(port: number): RedisCommandOptions {
    return this.sentinelPorts.includes(port) ? { password: this.settings.sentinelPassword } : this.nodeAuth();
  }
}
