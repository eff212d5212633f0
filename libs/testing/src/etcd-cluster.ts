import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { requireBinary, spawnOwned } from './child-process.js';
import { connectedPorts } from './connected-ports.js';
import { call, etcdHealthy } from './etcd-gateway.js';
import { freePort } from './free-port.js';
import { serverProcess, type ServerProcess } from './server-process.js';
import { waitFor } from './wait-for.js';

/** Raft timing of the test cluster: short, so that a killed leader is replaced within about a second. */
export const ETCD_CLUSTER_HEARTBEAT_MS = 100;
/**
 * etcd's own rule is an election timeout of at least 5 heartbeats; 10 leaves room for a loaded
 * machine, where a follower that misses a few heartbeats would otherwise call needless elections.
 */
export const ETCD_CLUSTER_ELECTION_TIMEOUT_MS = 1_000;

export interface StartEtcdClusterOptions {
  /** Members (3 unless told); quorum is a majority of them. */
  members?: number;
  /** `--heartbeat-interval`, in ms. Default ETCD_CLUSTER_HEARTBEAT_MS (100). */
  heartbeatMs?: number;
  /** `--election-timeout`, in ms. Default ETCD_CLUSTER_ELECTION_TIMEOUT_MS (1000). */
  electionTimeoutMs?: number;
}

export interface EtcdClusterMember {
  /** `m1`, `m2`, …: its `--name`, in the order of the cluster's URL. */
  readonly name: string;
  /** `http://127.0.0.1:<client port>`. */
  readonly endpoint: string;
  readonly clientPort: number;
  /** Whether its process runs (started and not killed). */
  readonly running: boolean;
  readonly pid: number | undefined;
  /**
   * The client streams this member serves now, read from its /metrics: `watchers` (etcd's
   * watcher gauge) and `leaseKeepAlives` (LeaseKeepAlive streams started and not yet ended).
   * With etcd3 picking a member at random per stream, this is how a test finds the member a
   * client's watch or keep-alive is on.
   */
  streams(): Promise<MemberStreams>;
  /** SIGKILL (or `signal`): the member vanishes without a word, its data stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM: etcd stops gracefully (a leader hands its leadership over first). */
  stop(): Promise<void>;
  /**
   * Starts it again on the same ports and data: resolves once its HTTP endpoint answers (it is
   * not healthy before it has a quorum; use the cluster's `healthy()` for that).
   */
  start(): Promise<void>;
}

export interface MemberStreams {
  watchers: number;
  leaseKeepAlives: number;
}

export interface EtcdCluster {
  /** `etcd://127.0.0.1:<p1>,127.0.0.1:<p2>,127.0.0.1:<p3>`: the backend URL of NestMesh. */
  readonly url: string;
  readonly members: readonly EtcdClusterMember[];
  /** The running member that reports itself Raft leader (maintenance status); undefined without one. */
  leader(): Promise<EtcdClusterMember | undefined>;
  /**
   * The members this process holds an established TCP connection to (read from /proc: Linux
   * only). etcd3 has no single "connected member": it opens one gRPC channel per host it has
   * used, and picks a host at random for each request and each stream.
   */
  connectedMembers(): EtcdClusterMember[];
  /** Resolves once every running member answers /health (which needs a leader), within `timeoutMs`. */
  healthy(options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
  /** Stops every member (SIGKILL) and removes their data; safe to call twice. */
  stop(): Promise<void>;
}

interface MemberPorts {
  name: string;
  clientPort: number;
  peerPort: number;
}

// A bound for a loaded machine: a quiet one forms the cluster in about a second.
const FORMING_TIMEOUT_MS = 60_000;

/**
 * A throwaway etcd cluster (Debian `etcd-server`, 3 members unless told) on free loopback
 * ports, bootstrapped statically (`--initial-cluster`), each member's data in its own temporary
 * folder. Resolves once every member is healthy, so a leader is elected. Every member dies with
 * this process; `stop()` removes the data.
 */
export async function startEtcdCluster(options: StartEtcdClusterOptions = {}): Promise<EtcdCluster> {
  requireBinary('etcd', 'etcd-server');
  const count = options.members ?? 3;
  const ports: MemberPorts[] = [];
  for (let index = 1; index <= count; index++)
    ports.push({ name: `m${index}`, clientPort: await freePort(), peerPort: await freePort() });
  const initialCluster = ports.map(({ name, peerPort }) => `${name}=http://127.0.0.1:${peerPort}`).join(',');
  const token = `nestmesh-${process.pid}-${ports[0].clientPort}`;
  const members = ports.map((member) =>
    clusterMember(member, [
      ...['--initial-cluster', initialCluster, '--initial-cluster-token', token],
      ...['--heartbeat-interval', String(options.heartbeatMs ?? ETCD_CLUSTER_HEARTBEAT_MS)],
      ...['--election-timeout', String(options.electionTimeoutMs ?? ETCD_CLUSTER_ELECTION_TIMEOUT_MS)],
    ]),
  );
  const cluster = etcdCluster(members);
  try {
    // All at once: a statically bootstrapped member waits for the others before it serves.
    await Promise.all(members.map((member) => member.start()));
    await cluster.healthy({ timeoutMs: FORMING_TIMEOUT_MS });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

interface OwnedMember extends EtcdClusterMember {
  removeData(): void;
}

function clusterMember({ name, clientPort, peerPort }: MemberPorts, clusterArguments: string[]): OwnedMember {
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const dataDir = mkdtempSync(join(tmpdir(), `nestmesh-etcd-${name}-`));
  const server: ServerProcess = serverProcess({
    description: `etcd member ${name} on ${endpoint}`,
    spawn: () =>
      spawnOwned(
        'etcd',
        [
          ...['--name', name, '--data-dir', dataDir],
          ...['--listen-client-urls', endpoint, '--advertise-client-urls', endpoint],
          ...['--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer],
          ...clusterArguments,
          ...['--log-level', 'error'],
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    // Serving HTTP, healthy or not: a member alone is never healthy.
    ready: async () => (await call({ endpoint }, 'GET', '/version')).status === 200,
    timeoutMs: FORMING_TIMEOUT_MS,
    intervalMs: 50,
  });
  return {
    name,
    endpoint,
    clientPort,
    get running() {
      return server.child !== undefined;
    },
    get pid() {
      return server.child?.pid;
    },
    streams: () => memberStreams(endpoint),
    kill: (signal: NodeJS.Signals = 'SIGKILL') => server.kill(signal),
    stop: () => server.kill('SIGTERM'),
    start: () => server.start(),
    removeData: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

function etcdCluster(members: OwnedMember[]): EtcdCluster {
  const running = () => members.filter((member) => member.running);
  return {
    url: `etcd://${members.map((member) => `127.0.0.1:${member.clientPort}`).join(',')}`,
    members,
    leader: async () => {
      const current = running();
      const statuses = await Promise.all(
        current.map((member) => memberStatus(member.endpoint).catch(() => undefined)),
      );
      // The member that says it leads: followers go on naming a dead leader until they time out.
      return current.find(
        (_, index) => statuses[index] && statuses[index].leader === statuses[index].memberId,
      );
    },
    connectedMembers: () => {
      const ports = connectedPorts();
      return members.filter((member) => ports.has(member.clientPort));
    },
    healthy: async ({ timeoutMs = FORMING_TIMEOUT_MS, signal } = {}) => {
      await waitFor(
        async () => {
          const answers = await Promise.all(
            running().map((member) => etcdHealthy({ endpoint: member.endpoint }).catch(() => false)),
          );
          return answers.every(Boolean);
        },
        { timeoutMs, signal, intervalMs: 50, description: 'every running etcd member healthy' },
      );
    },
    stop: async () => {
      await Promise.all(members.map((member) => member.kill('SIGKILL')));
      for (const member of members) member.removeData();
    },
  };
}

/** etcd's maintenance status through its JSON gateway: ids are uint64, sent as decimal strings. */
async function memberStatus(endpoint: string): Promise<{ memberId: string; leader: string }> {
  const { status, body } = await call({ endpoint }, 'POST', '/v3/maintenance/status', {});
  const answer = body as { header?: { member_id?: string }; leader?: string };
  if (status !== 200 || !answer.header?.member_id) throw new Error(`etcd status answered ${status}`);
  return { memberId: answer.header.member_id, leader: answer.leader ?? '0' };
}

async function memberStreams(endpoint: string): Promise<MemberStreams> {
  const metrics = await textOf(new URL('/metrics', endpoint));
  const sum = (pattern: RegExp) =>
    metrics
      .split('\n')
      .filter((line) => pattern.test(line))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  const keepAlive = 'grpc_method="LeaseKeepAlive"';
  return {
    watchers: sum(/^etcd_debugging_mvcc_watcher_total /),
    leaseKeepAlives:
      sum(new RegExp(`^grpc_server_started_total\\{.*${keepAlive}`)) -
      sum(new RegExp(`^grpc_server_handled_total\\{.*${keepAlive}`)),
  };
}

/** A GET on its own connection (no keep-alive, so that connectedMembers() does not count it). */
function textOf(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    const outgoing = get(url, { agent: false, timeout: 10_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve(text));
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${url.pathname}: no answer in 10 s`)));
    outgoing.on('error', reject);
  });
}
