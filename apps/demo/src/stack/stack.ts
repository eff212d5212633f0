// `npm run start:stack`: the docker-compose topology as local processes on free ports, from the
// same files in deploy/. redis-server (AOF on), etcd (in place of Consul), prometheus and
// haproxy from Debian's packages; order ×2, inventory ×3 and the load generator. HAProxy's
// backends follow discovery through its runtime API (no Consul DNS here). Prints every URL, then
// `stack ready edge=<url> grpc-edge=<host:port> prometheus=<url>`. `npm run mesh -- <command>`
// toggles faults (docs/demo.md). Env: ORDERS_PER_SECOND, STOCK_READS_PER_SECOND (the loadgen's),
// NESTMESH_STACK_ECHO=1 (the apps' output on this terminal). Ctrl-C stops everything.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDiscoveryBackend, syncHaproxyBackend, type HaproxyBackendSync } from '@nestmesh/discovery';
import { HTTP_PORT_METADATA } from '@nestmesh/order';
import {
  freePort,
  requireBinary,
  startEtcd,
  startHaproxy,
  startPrometheus,
  startRedis,
  type HaproxyServer,
} from '@nestmesh/testing';

import { localHaproxyConfig, localPrometheusConfig } from './deploy-config.js';
import { serveControl } from './stack-control.js';
import { StackApp } from './stack-processes.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const STACK_STATE_FILE = join(root, '.nestmesh/stack.json');
const echo = process.env.NESTMESH_STACK_ECHO === '1';

// Every binary first, each named with its Debian package, before anything starts.
for (const [binary, pkg] of [
  ['redis-server', 'redis-server'],
  ['etcd', 'etcd-server'],
  ['prometheus', 'prometheus'],
  ['haproxy', 'haproxy'],
] as const)
  requireBinary(binary, pkg);

const stoppers: (() => Promise<unknown>)[] = [];
let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    rmSync(STACK_STATE_FILE, { force: true });
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
// Anything unexpected stops the whole stack, saying what it was (never a silent half-stack).
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (error: unknown) => {
    console.error(
      `start:stack: ${event}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    void stopAll(1);
  });
}

try {
  const redis = await startRedis({ persistent: true });
  stoppers.push(() => redis.stop());
  const etcd = await startEtcd({ detached: true });
  stoppers.push(() => etcd.stop());
  const discoveryUrl = `etcd://${etcd.endpoint.replace(/^http:\/\//, '')}?ttl=5`;
  const shared = {
    DISCOVERY_URL: discoveryUrl,
    REDIS_URL: redis.url,
    NESTMESH_QUIET: '1',
    LOG_FORMAT: 'json',
  };

  // Ports are picked once: a killed instance comes back on the same ones (Prometheus's
  // targets stay right, HAProxy's server for it is re-added under the same address).
  const apps: StackApp[] = [];
  for (const index of [1, 2]) {
    const port = String(await freePort());
    apps.push(
      new StackApp(
        {
          name: `order-${index}`,
          script: join(root, 'apps/order/dist/main.js'),
          // HAProxy on loopback sends X-Forwarded-For: the rate limit counts each client, not HAProxy.
          env: { ...shared, PORT: port, HTTP_TRUST_PROXY: 'loopback' },
          readyPattern: /order ready http=(\S+) grpc=(\S+)/,
        },
        echo,
      ),
    );
  }
  for (const index of [1, 2, 3]) {
    const metrics = String(await freePort());
    const grpc = String(await freePort());
    apps.push(
      new StackApp(
        {
          name: `inventory-${index}`,
          script: join(root, 'apps/inventory/dist/main.js'),
          env: { ...shared, INVENTORY_GRPC_PORT: grpc, METRICS_PORT: metrics },
          readyPattern: /inventory ready grpc=(\S+) id=(\S+) election=\S+ metrics=(\S+)/,
        },
        echo,
      ),
    );
  }
  stoppers.push(() => Promise.all(apps.map((app) => app.stop())));
  for (const app of apps.filter((each) => each.spec.name.startsWith('inventory'))) await app.start();
  for (const app of apps.filter((each) => each.spec.name.startsWith('order'))) await app.start();

  // As compose's `restart: unless-stopped`: a crashed HAProxy is said and started again; the
  // syncs put its dynamic servers back at their next resync.
  const haproxy: HaproxyServer = await startHaproxy({
    onUnexpectedExit: ({ description, code, signal, output }) => {
      if (stopping) return;
      console.error(
        `start:stack: ${description} exited (${signal ?? `code ${code}`}); starting it again. Its last output: ${output.trim() || '(none)'}`,
      );
      haproxy.start().then(
        () => console.error('start:stack: haproxy started again'),
        (error: unknown) => {
          console.error(`start:stack: haproxy did not start again: ${String(error)}`);
          void stopAll(1);
        },
      );
    },
    ports: ['http', 'grpc', 'stats'],
    config: (ports) =>
      localHaproxyConfig(readFileSync(join(root, 'deploy/haproxy/haproxy.cfg'), 'utf8'), {
        http: ports.http,
        grpc: ports.grpc,
        stats: ports.stats,
      }),
  });
  stoppers.push(() => haproxy.stop());
  const discovery = await createDiscoveryBackend({ url: discoveryUrl });
  stoppers.push(async () => discovery.close?.());
  const syncs: HaproxyBackendSync[] = [
    syncHaproxyBackend({
      discovery,
      service: 'order',
      backend: 'order-http',
      runtimeApi: haproxy.runtimeApiSocket,
      check: true,
      portOf: (instance) => Number(instance.metadata[HTTP_PORT_METADATA]) || undefined,
    }),
    syncHaproxyBackend({
      discovery,
      service: 'inventory',
      backend: 'inventory-grpc',
      runtimeApi: haproxy.runtimeApiSocket,
      check: true, // a TCP connect, as the compose file's `check` on the h2c backend
      proto: 'h2',
    }),
  ];
  stoppers.push(() => Promise.all(syncs.map((sync) => sync.stop())));

  const env = (app: StackApp, name: string) => app.spec.env[name];
  const prometheus = await startPrometheus({
    scrapeTargets: [],
    config: localPrometheusConfig(readFileSync(join(root, 'deploy/prometheus.yml'), 'utf8'), {
      order: apps
        .filter((app) => app.spec.name.startsWith('order'))
        .map((app) => `127.0.0.1:${env(app, 'PORT')}`),
      inventory: apps
        .filter((app) => app.spec.name.startsWith('inventory'))
        .map((app) => `127.0.0.1:${env(app, 'METRICS_PORT')}`),
    }),
  });
  stoppers.push(() => prometheus.stop());

  const edge = `http://127.0.0.1:${haproxy.ports.http}`;
  const grpcEdge = `127.0.0.1:${haproxy.ports.grpc}`;
  const loadgen = new StackApp(
    {
      name: 'loadgen',
      script: join(root, 'apps/loadgen/dist/main.js'),
      env: {
        ORDER_URL: edge,
        STOCK_GRPC_TARGET: grpcEdge,
        ORDERS_PER_SECOND: process.env.ORDERS_PER_SECOND ?? '5',
        STOCK_READS_PER_SECOND: process.env.STOCK_READS_PER_SECOND ?? '10',
      },
      readyPattern: /loadgen ready/,
    },
    echo,
  );
  apps.push(loadgen);
  await loadgen.start();

  const control = await serveControl({ apps, redis });
  stoppers.push(() => control.close());
  mkdirSync(dirname(STACK_STATE_FILE), { recursive: true });
  writeFileSync(STACK_STATE_FILE, JSON.stringify({ pid: process.pid, control: control.url }, null, 2));

  for (const app of apps) console.log(`${app.spec.name.padEnd(12)} pid ${app.pid}  ${app.ready?.[0] ?? ''}`);
  console.log(`redis        ${redis.url} (AOF on)   etcd ${etcd.endpoint} (in place of Consul)`);
  console.log(
    `haproxy      edge ${edge}  grpc-edge ${grpcEdge}  stats http://127.0.0.1:${haproxy.ports.stats}/stats`,
  );
  console.log(`prometheus   ${prometheus.url}`);
  console.log(`dashboard    ${edge}/mesh/ (served by each order instance)`);
  console.log(
    `faults       npm run mesh -- status | kill|pause|resume|start <name> | pause-leader | restart-redis`,
  );
  console.log(`stack ready edge=${edge} grpc-edge=${grpcEdge} prometheus=${prometheus.url}`);
} catch (error) {
  console.error(`start:stack failed: ${error instanceof Error ? error.message : String(error)}`);
  await stopAll(1);
}
