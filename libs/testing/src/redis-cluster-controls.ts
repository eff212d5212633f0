import type { RedisCluster, RedisClusterNode } from './redis-cluster.js';
import {
  CLUSTER_SLOTS,
  clusterInfo,
  clusterNodes,
  migrateSlot,
  redisCli,
  servingPort,
  type ClusterNodeView,
} from './redis-cluster-topology.js';
import { waitFor } from './wait-for.js';

/** A bound for a loaded machine; a quiet one is healthy in about two seconds. */
const HEALTHY_TIMEOUT_MS = 60_000;

/** The controls of a started cluster over its nodes (see RedisCluster). */
export function clusterControls(
  nodes: readonly RedisClusterNode[],
  nodeTimeoutMs: number,
  stop: () => Promise<void>,
): RedisCluster {
  const byPort = (port: number | undefined): RedisClusterNode => {
    const node = nodes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`testing: no node of this cluster serves on port ${port}`);
    return node;
  };
  const view = async (): Promise<ClusterNodeView[]> => clusterNodes(firstRunning(nodes).port);
  const waitUntilHealthy = async (timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> => {
    await waitFor(() => healthy(nodes), {
      timeoutMs,
      intervalMs: 50,
      description: 'a healthy Redis Cluster',
    });
  };
  // Polled: right after a failover the old primary may not have turned into a replica yet.
  const replicaOf = async (primary: RedisClusterNode): Promise<RedisClusterNode> => {
    const replica = await waitFor(
      async () => (await view()).find((node) => node.primaryId === primary.id && !node.failing),
      {
        timeoutMs: HEALTHY_TIMEOUT_MS,
        intervalMs: 50,
        description: `a live replica of port ${primary.port}`,
      },
    );
    return byPort(replica.port);
  };
  const promoted = async (replica: RedisClusterNode, timeoutMs: number): Promise<RedisClusterNode> => {
    await waitFor(() => replica.isPrimary(), {
      timeoutMs,
      intervalMs: 50,
      description: `the replica on port ${replica.port} promoted`,
    });
    await waitUntilHealthy();
    return replica;
  };
  const primaryOfSlot = async (slot: number): Promise<RedisClusterNode> =>
    byPort(servingPort(await view(), slot));
  const slotOf = async (key: string): Promise<number> =>
    Number(await redisCli(firstRunning(nodes).port, ['CLUSTER', 'KEYSLOT', key]));
  return {
    url: `redis+cluster://${nodes.map(({ port }) => `127.0.0.1:${port}`).join(',')}`,
    nodes,
    nodeTimeoutMs,
    slotOf,
    primaryOfSlot,
    primaryOf: async (key) => primaryOfSlot(await slotOf(key)),
    replicaOf,
    failover: async (primary) => {
      const replica = await replicaOf(primary);
      await replica.command('CLUSTER', 'FAILOVER');
      return promoted(replica, HEALTHY_TIMEOUT_MS);
    },
    killPrimary: async (primary) => {
      const replica = await replicaOf(primary);
      await primary.kill();
      return promoted(replica, HEALTHY_TIMEOUT_MS);
    },
    migrateSlot: async (slot, to, options) => {
      const from = await primaryOfSlot(slot);
      const primaryPorts = (await view()).filter((node) => node.role === 'master' && !node.failing);
      await migrateSlot(
        slot,
        { fromPort: from.port, toPort: to.port, primaryPorts: primaryPorts.map(({ port }) => port) },
        options,
      );
      await waitUntilHealthy();
    },
    waitUntilHealthy,
    stop,
  };
}

function firstRunning(nodes: readonly RedisClusterNode[]): RedisClusterNode {
  const node = nodes.find(({ running }) => running);
  if (!node) throw new Error('testing: no node of the cluster is running');
  return node;
}

/**
 * Every running node says `cluster_state:ok`, flags no running node as failing, and they all
 * name the same primary for every slot (a failover or migration has reached them all); every
 * running replica has synced.
 */
async function healthy(nodes: readonly RedisClusterNode[]): Promise<boolean> {
  const running = nodes.filter((node) => node.running);
  const runningPorts = new Set(running.map(({ port }) => port));
  const owners = new Set<string>();
  for (const node of running) {
    const info = await clusterInfo(node.port).catch(() => undefined);
    if (info?.get('cluster_state') !== 'ok') return false;
    const view = await clusterNodes(node.port);
    if (view.some((seen) => seen.failing && runningPorts.has(seen.port))) return false;
    if (!(await replicationUp(node.port))) return false;
    owners.add(slotOwners(view));
  }
  return owners.size === 1;
}

/** A primary, or a replica whose link to its primary is up (it has synced). */
async function replicationUp(port: number): Promise<boolean> {
  const info = await redisCli(port, ['INFO', 'replication']);
  return info.includes('role:master') || info.includes('master_link_status:up');
}

/** Which port serves each range of slots, as one string to compare views. */
function slotOwners(view: readonly ClusterNodeView[]): string {
  const owners: string[] = [];
  for (let slot = 0; slot < CLUSTER_SLOTS; slot += 1) owners.push(String(servingPort(view, slot) ?? '-'));
  return owners.join(',');
}
