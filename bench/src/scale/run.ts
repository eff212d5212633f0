// `npm run bench:scale`: hundreds of inventory instances, dozens of watching clients.
//   etcd:   instances in --instance-hosts processes (real grpc-js servers on port 0, each
//           registered with a lease of its own), clients in --client-hosts processes (each
//           client a Nest app with its own etcd client and MeshClientModule), one real etcd.
//   memory: the floor; the memory registry lives in one process, so instances and clients
//           all run in this one (memory and CPU per client are not separable there).
// Each registry: instances grow in --steps while clients follow (registration throughput, time
// for every client to have the list, client memory and CPU: etcd with subsetting off, then
// on); single changes (--changes, each instance added then removed); the load spread over
// instances (round robin, subsetting off and on); mass restarts (jitter 0 and --jitter-ms).
// Load spread: every client makes --calls calls (4 in flight). The memory registry's run has as
// many clients as one etcd client process (--clients / --client-hosts), all in this process.
// A quick check: npm run bench:scale -- --instances 60 --clients 10 --steps 20,60 --changes 6
import 'reflect-metadata';
import { startEtcd } from '@nestmesh/testing';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { ClientHost } from './client-host.js';
import { InstanceHost } from './instance-host.js';
import { childPeer, localPeer, type Peer } from './peer.js';
import { report, type RegistryRun } from './scale-report.js';
import { growTo, loadSpread, massRestart, singleChanges, type Hosts } from './scenario.js';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    instances: { type: 'string', default: '300' },
    clients: { type: 'string', default: '50' },
    steps: { type: 'string', default: '50,150,300' },
    'instance-hosts': { type: 'string', default: '3' },
    'client-hosts': { type: 'string', default: '5' },
    changes: { type: 'string', default: '30' },
    'jitter-ms': { type: 'string', default: '1000' },
    calls: { type: 'string', default: '300' },
    registries: { type: 'string', default: 'etcd,memory' },
  },
});
const instances = Number(values.instances);
const totalClients = Number(values.clients);
const steps = values.steps
  .split(',')
  .map(Number)
  .filter((step) => step < instances)
  .concat(instances);
const instanceHostCount = Number(values['instance-hosts']);
const clientHostCount = Number(values['client-hosts']);
const changes = Number(values.changes);
const jitterMs = Number(values['jitter-ms']);
const callsPerClient = Number(values.calls);
const hostMain = join(dirname(fileURLToPath(import.meta.url)), 'host-main.js');

async function instanceHosts(url: string, separate: boolean): Promise<Peer[]> {
  return Promise.all(
    Array.from({ length: instanceHostCount }, async () =>
      separate
        ? childPeer(hostMain, { SCALE_ROLE: 'instances', SCALE_DISCOVERY_URL: url })
        : localPeer(await InstanceHost.start(url)),
    ),
  );
}

async function clientHosts(url: string, separate: boolean, subset: boolean): Promise<Peer[]> {
  const hostCount = separate ? clientHostCount : 1;
  // The memory registry's clients share this one process: as many as one client process holds.
  const clientCount = separate ? totalClients : Math.ceil(totalClients / clientHostCount);
  const peers: Peer[] = [];
  for (let host = 0; host < hostCount; host++) {
    const first = Math.floor((host * clientCount) / hostCount);
    const count = Math.floor(((host + 1) * clientCount) / hostCount) - first;
    const options = { url, first, count, total: clientCount, subset };
    peers.push(
      separate
        ? await childPeer(hostMain, {
            SCALE_ROLE: 'clients',
            SCALE_DISCOVERY_URL: url,
            SCALE_FIRST: String(first),
            SCALE_COUNT: String(count),
            SCALE_TOTAL: String(clientCount),
            SCALE_SUBSET: subset ? 'on' : 'off',
          })
        : localPeer(await ClientHost.start(options)),
    );
  }
  await Promise.all(peers.map((peer) => peer.call('kick')));
  return peers;
}

/** Grows to every step with clients subsetting or not, spreads load; the full run (changes, restarts) with subsetting. */
async function runRegistry(
  name: string,
  url: string,
  separate: boolean,
  etcdEndpoint?: string,
): Promise<RegistryRun> {
  const run: RegistryRun = { name, separate, growth: {}, spread: {} };
  const hostsOfInstances = await instanceHosts(url, separate);
  try {
    // The memory floor measures no per-client cost: subsetting on only.
    for (const subset of separate ? [false, true] : [true]) {
      const mode = subset ? 'subset' : 'all';
      const hosts: Hosts = {
        instances: hostsOfInstances,
        clients: await clientHosts(url, separate, subset),
        clientCount: separate ? totalClients : Math.ceil(totalClients / clientHostCount),
        separate,
      };
      try {
        let current = 0;
        run.growth[mode] = [];
        for (const step of steps) {
          run.growth[mode].push(await growTo(hosts, current, step));
          current = step;
        }
        run.spread[mode] = await loadSpread(hosts, callsPerClient);
        if (subset) {
          run.changes = await singleChanges(hosts, changes);
          run.restarts = [];
          for (const jitter of [0, jitterMs])
            run.restarts.push(await massRestart(hosts, instances, jitter, etcdEndpoint));
        }
      } finally {
        for (const peer of hosts.clients) await peer.close();
      }
      await Promise.all(hostsOfInstances.map((peer) => peer.call('remove', { count: instances })));
    }
    const stats = await Promise.all(hostsOfInstances.map((peer) => peer.call<{ retried: number }>('stats')));
    run.registrationsRetried = stats.reduce((sum, each) => sum + each.retried, 0);
  } finally {
    for (const peer of hostsOfInstances) await peer.close();
  }
  return run;
}

const runs: RegistryRun[] = [];
const registries = values.registries.split(',');
if (registries.includes('etcd')) {
  const etcd = await startEtcd();
  try {
    runs.push(
      await runRegistry('etcd', `etcd://${etcd.endpoint.replace('http://', '')}`, true, etcd.endpoint),
    );
  } finally {
    await etcd.stop();
  }
}
if (registries.includes('memory')) runs.push(await runRegistry('memory', `memory://${randomUUID()}`, false));
report(runs, {
  instances,
  clientCount: totalClients,
  instanceHostCount,
  clientHostCount,
  changes,
  callsPerClient,
});
process.exit(0);
