// `npm run start:cluster`: the real distributed shape on one machine, without Docker. etcd
// (started here on free ports unless DISCOVERY_URL names a registry), then one order and three
// inventory processes that find each other through it. Env: PORT (order HTTP, default 3000),
// INVENTORIES (default 3), DISCOVERY_URL, ELECTION_URL, REDIS_URL (see docs/configuration.md).
// It prints the command line that starts one more inventory into it, and every Prometheus
// metrics URL (order's HTTP /metrics; each inventory's own, METRICS_PORT=0). Ctrl-C stops everything.
import { startAppProcess, startEtcd, type AppProcess, type EtcdServer } from '@nestmesh/testing';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const inventoryCount = Number(process.env.INVENTORIES ?? 3);
/** How long one app may take to start: seconds when the machine is idle, far more when it is busy. */
const START_TIMEOUT_MS = 120_000;

let etcd: EtcdServer | undefined;
if (!process.env.DISCOVERY_URL) {
  etcd = await startEtcd({ detached: true });
  console.log(`etcd         ${etcd.endpoint}  (throwaway, data in a temporary folder)`);
}
const discoveryUrl = process.env.DISCOVERY_URL ?? `etcd://${etcd!.endpoint.replace(/^http:\/\//, '')}`;
// The inventory processes elect the restock job's leader on Redis when REDIS_URL is set, else
// on the etcd they register in.
const electionUrl =
  process.env.ELECTION_URL ??
  (process.env.REDIS_URL ? undefined : discoveryUrl.startsWith('etcd://') ? discoveryUrl : undefined);
const env = { DISCOVERY_URL: discoveryUrl, ...(electionUrl ? { ELECTION_URL: electionUrl } : {}) };
const inventoryScript = join(root, 'apps/inventory/dist/main.js');

/** `value` as one shell word (single-quoted when it holds anything the shell would read). */
function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line that starts one more inventory into this cluster: every URL a process needs
 * (registry, election, Redis) — without ELECTION_URL a hand-started inventory would elect its
 * restock leader in-process and lead alongside the cluster's.
 */
function joinCommand(): string {
  const variables = {
    ...env,
    REDIS_URL: process.env.REDIS_URL,
    RESTOCK_INTERVAL_MS: process.env.RESTOCK_INTERVAL_MS,
  };
  const assignments = Object.entries(variables)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${shellWord(value)}`);
  return [
    ...assignments,
    'node',
    shellWord(relative(process.cwd(), inventoryScript) || inventoryScript),
  ].join(' ');
}

const inventories: AppProcess[] = [];
for (let index = 1; index <= inventoryCount; index++) {
  const app = await startAppProcess(inventoryScript, {
    // A gRPC-only app serves Prometheus metrics on METRICS_PORT; 0 picks a free port.
    env: { ...env, METRICS_PORT: '0' },
    readyPattern: /inventory ready grpc=(\S+) id=(\S+) election=\S+ metrics=(\S+)/,
    echo: `[inventory-${index}]`,
    timeoutMs: START_TIMEOUT_MS,
    detached: true,
  });
  inventories.push(app);
  console.log(
    `inventory-${index}  gRPC ${app.ready[1]}  pid ${app.child.pid}  (${app.ready[2]})  metrics ${app.ready[3]}`,
  );
}
const order = await startAppProcess(join(root, 'apps/order/dist/main.js'), {
  env: { ...env, PORT: process.env.PORT ?? '3000' },
  readyPattern: /order ready http=(\S+) grpc=(\S+)/,
  echo: '[order]',
  timeoutMs: START_TIMEOUT_MS,
  detached: true,
});
const url = order.ready[1];
console.log(
  `order        HTTP ${url}  gRPC ${order.ready[2]}  pid ${order.child.pid}  metrics ${url}/metrics`,
);
console.log(`NestMesh cluster ready: ${inventoryCount} inventory processes and order on ${discoveryUrl}. Ctrl-C stops.
Try:
  curl -s -X POST ${url}/orders -H 'content-type: application/json' -d '{"items":[{"sku":"A-1","quantity":1}]}'
  kill -9 <an inventory pid>   # its lease expires; calls move to the others
One more inventory (same registry, same election), from another terminal in this folder:
  ${joinCommand()}
Mesh dashboard: ${url}/mesh/
Prometheus can scrape: ${[`${url}/metrics`, ...inventories.map((app) => app.ready[3])].join(' ')}
Note: without REDIS_URL each inventory process keeps its own in-memory stock.`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await order.stop('SIGTERM');
  await Promise.all(inventories.map((app) => app.stop('SIGTERM')));
  await etcd?.stop();
  console.log('stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
