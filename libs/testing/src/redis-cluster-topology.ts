import { execFile } from 'node:child_process';

/** The number of hash slots of every Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

/** One line of CLUSTER NODES, as the node that answered sees it. */
export interface ClusterNodeView {
  id: string;
  port: number;
  /** `master` or `slave`, as that node believes. */
  role: 'master' | 'slave';
  /** The primary's id for a replica. */
  primaryId: string | undefined;
  /** Flagged `fail` or `fail?` (unreachable past the node timeout). */
  failing: boolean;
  /** Slot ranges served, inclusive (`[slot->-id]` migration marks left out). */
  slots: readonly (readonly [number, number])[];
}

/**
 * One command through redis-cli (no shell: braces and empty arguments pass as they are), its
 * reply as text. `-e` makes an error reply a failure; the error names port and command.
 */
export async function redisCli(port: number, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['-e', '-h', '127.0.0.1', '-p', String(port), ...args],
      { timeout: timeoutMs, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new Error(`redis-cli -p ${port} ${args.join(' ')}: ${(stdout + stderr).trim() || error.message}`),
          );
        else resolve(stdout.trim());
      },
    );
  });
}

/** CLUSTER NODES of the node on `port`, parsed. */
export async function clusterNodes(port: number): Promise<ClusterNodeView[]> {
  const text = await redisCli(port, ['CLUSTER', 'NODES']);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id, address, flags, primary, , , , , ...slots] = line.trim().split(' ');
      const flagList = flags.split(',');
      return {
        id,
        port: Number(/:(\d+)@/.exec(address)?.[1] ?? 0),
        role: flagList.includes('master') ? 'master' : 'slave',
        primaryId: primary === '-' ? undefined : primary,
        failing: flagList.includes('fail') || flagList.includes('fail?'),
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [first, last = first] = slot.split('-').map(Number);
            return [first, last] as const;
          }),
      } satisfies ClusterNodeView;
    });
}

/** CLUSTER INFO of the node on `port` as a map (`cluster_state` → `ok`). */
export async function clusterInfo(port: number): Promise<Map<string, string>> {
  const text = await redisCli(port, ['CLUSTER', 'INFO']);
  return new Map(
    text
      .split('\n')
      .map((line) => line.trim().split(':') as [string, string])
      .filter(([name, value]) => name && value !== undefined),
  );
}

/** The port of the primary that `view` says serves `slot`, if any. */
export function servingPort(view: readonly ClusterNodeView[], slot: number): number | undefined {
  return view.find(
    (node) =>
      node.role === 'master' &&
      !node.failing &&
      node.slots.some(([first, last]) => slot >= first && slot <= last),
  )?.port;
}

export interface MigrateSlotOptions {
  /** Keys moved per MIGRATE. Default 10. */
  keysPerBatch?: number;
  /** Called after each batch while keys remain (the slot is half moved: clients get ASK). */
  betweenBatches?: () => Promise<void>;
}

/**
 * Moves `slot` from the primary on `fromPort` to the one on `toPort` while it serves, as
 * `redis-cli --cluster reshard` does: IMPORTING on the target, MIGRATING on the source, MIGRATE
 * of its keys in batches (clients asking for a moved key get ASK meanwhile), then SETSLOT NODE
 * on both and on every other primary in `primaryPorts`.
 */
export async function migrateSlot(
  slot: number,
  { fromPort, toPort, primaryPorts }: { fromPort: number; toPort: number; primaryPorts: readonly number[] },
  { keysPerBatch = 10, betweenBatches }: MigrateSlotOptions = {},
): Promise<void> {
  const sourceId = await redisCli(fromPort, ['CLUSTER', 'MYID']);
  const targetId = await redisCli(toPort, ['CLUSTER', 'MYID']);
  await redisCli(toPort, ['CLUSTER', 'SETSLOT', String(slot), 'IMPORTING', sourceId]);
  await redisCli(fromPort, ['CLUSTER', 'SETSLOT', String(slot), 'MIGRATING', targetId]);
  for (;;) {
    const keys = await redisCli(fromPort, ['CLUSTER', 'GETKEYSINSLOT', String(slot), String(keysPerBatch)]);
    const batch = keys.split('\n').filter((key) => key !== '');
    if (batch.length === 0) break;
    await redisCli(fromPort, ['MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', 'KEYS', ...batch]);
    await betweenBatches?.();
  }
  // The target first, so that it serves the slot before the source starts sending MOVED to it.
  for (const port of [
    toPort,
    fromPort,
    ...primaryPorts.filter((port) => port !== toPort && port !== fromPort),
  ])
    await redisCli(port, ['CLUSTER', 'SETSLOT', String(slot), 'NODE', targetId]);
}
