// One registry's scale run: instances grow in steps while clients follow, single changes
// propagate, load spreads, and every instance restarts at once (with and without jitter).
import { setTimeout as sleep } from 'node:timers/promises';

import { percentile } from '../rpc/stats.js';
import { sampleEtcdLoad, type EtcdLoad } from './etcd-load.js';
import type { RegisterBatch } from './instance-host.js';
import { wallNow, type Peer } from './peer.js';

export interface Hosts {
  instances: Peer[];
  clients: Peer[];
  clientCount: number;
  /** Whether the clients' processes are their own (memory and CPU per client are measurable). */
  separate: boolean;
}

interface Stats {
  rss: number;
  heapUsed: number;
  cpuSeconds: number;
}

export interface StepResult {
  instances: number;
  registeredPerSecond: number;
  registerP99Ms: number;
  /** From the last registration accepted to the last client having the whole list, ms. */
  reachedAllMs: number;
  rssPerClientMiB?: number;
  heapPerClientMiB?: number;
  cpuMsPerClientPer100?: number;
}

export interface ChangeResult {
  perClientMs: number[];
  allClientsMs: number[];
}

export interface RestartResult {
  jitterMs: number;
  registerP50Ms: number;
  registerP99Ms: number;
  etcd?: EtcdLoad;
  convergedP50Ms: number;
  convergedMaxMs: number;
}

const MiB = 1024 * 1024;
/** How long connections get to open after a step, and the idle window CPU is measured over, ms. */
const SETTLE_MS = 1_000;

async function clientStats(hosts: Hosts): Promise<Stats> {
  const all = await Promise.all(hosts.clients.map((peer) => peer.call<Stats>('stats')));
  return all.reduce((sum, each) => ({
    rss: sum.rss + each.rss,
    heapUsed: sum.heapUsed + each.heapUsed,
    cpuSeconds: sum.cpuSeconds + each.cpuSeconds,
  }));
}

/** Calls `operation` on every client host and concatenates their per-client answers. */
async function perClient(hosts: Hosts, operation: string, argument: unknown): Promise<(number | null)[]> {
  return (
    await Promise.all(hosts.clients.map((peer) => peer.call<(number | null)[]>(operation, argument)))
  ).flat();
}

function latencies(times: readonly (number | null)[], from: number): number[] {
  return times.map((time) => (time === null ? Number.POSITIVE_INFINITY : Math.max(0, time - from)));
}

/** Adds instances (spread over the hosts) until there are `target`; measures registration and what clients saw. */
export async function growTo(hosts: Hosts, current: number, target: number): Promise<StepResult> {
  // CPU the clients use idle (timers, keepalives) over one settle period, taken off the step's.
  const idleStart = hosts.separate ? await clientStats(hosts) : undefined;
  if (idleStart) await sleep(SETTLE_MS);
  const before = hosts.separate ? await clientStats(hosts) : undefined;
  const stepStartedAt = performance.now();
  const added = target - current;
  const share = (host: number) =>
    Math.floor(added / hosts.instances.length) + (host < added % hosts.instances.length ? 1 : 0);
  const batches = await Promise.all(
    hosts.instances.map((peer, host) => peer.call<RegisterBatch>('add', { count: share(host) })),
  );
  const startedAt = Math.min(...batches.map((batch) => batch.startedAt));
  const finishedAt = Math.max(...batches.map((batch) => batch.finishedAt));
  const seen = latencies(await perClient(hosts, 'size', { size: target, since: startedAt }), finishedAt);
  // Connections of round robin (and its subsets) open once the list is in: let them settle.
  await sleep(SETTLE_MS);
  const result: StepResult = {
    instances: target,
    registeredPerSecond: (added * 1_000) / (finishedAt - startedAt),
    registerP99Ms: percentile(
      batches.flatMap((batch) => batch.latenciesMs),
      99,
    ),
    reachedAllMs: Math.max(...seen),
  };
  if (!before || !idleStart) return result;
  const after = await clientStats(hosts);
  const idlePerMs = (before.cpuSeconds - idleStart.cpuSeconds) / SETTLE_MS;
  const stepCpuSeconds =
    after.cpuSeconds - before.cpuSeconds - idlePerMs * (performance.now() - stepStartedAt);
  return {
    ...result,
    rssPerClientMiB: after.rss / hosts.clientCount / MiB,
    heapPerClientMiB: after.heapUsed / hosts.clientCount / MiB,
    cpuMsPerClientPer100: (Math.max(0, stepCpuSeconds) * 1_000) / hosts.clientCount / (added / 100),
  };
}

/** One instance added, then removed, `trials` times: how long until each client's list showed it. */
export async function singleChanges(hosts: Hosts, trials: number): Promise<ChangeResult> {
  const perClientMs: number[] = [];
  const allClientsMs: number[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const peer = hosts.instances[trial % hosts.instances.length];
    const added = await peer.call<RegisterBatch>('add', { count: 1 });
    const appeared = latencies(await perClient(hosts, 'appeared', { id: added.ids[0] }), added.finishedAt);
    const removed = await peer.call<{ ids: string[]; startedAt: number }>('remove', { count: 1 });
    const left = latencies(await perClient(hosts, 'left', { id: removed.ids[0] }), removed.startedAt);
    for (const change of [appeared, left]) {
      perClientMs.push(...change);
      allClientsMs.push(Math.max(...change));
    }
  }
  return { perClientMs, allClientsMs };
}

/** Requests per instance after every client made `callsPerClient` calls: busiest and idlest over the mean. */
export async function loadSpread(
  hosts: Hosts,
  callsPerClient: number,
): Promise<{ calls: number; failed: number; maxOverMean: number; minOverMean: number }> {
  await Promise.all(hosts.instances.map((peer) => peer.call('counts')));
  const load = await Promise.all(
    hosts.clients.map((peer) =>
      peer.call<{ calls: number; failed: number }>('load', { calls: callsPerClient }),
    ),
  );
  const counts = (
    await Promise.all(hosts.instances.map((peer) => peer.call<Record<string, number>>('counts')))
  ).flatMap((each) => Object.values(each));
  const mean = counts.reduce((sum, each) => sum + each, 0) / counts.length;
  return {
    calls: load.reduce((sum, each) => sum + each.calls, 0),
    failed: load.reduce((sum, each) => sum + each.failed, 0),
    maxOverMean: Math.max(...counts) / mean,
    minOverMean: Math.min(...counts) / mean,
  };
}

/** Every instance deregisters, then registers again (spread over `jitterMs`); until every client has them all. */
export async function massRestart(
  hosts: Hosts,
  instances: number,
  jitterMs: number,
  etcdEndpoint: string | undefined,
): Promise<RestartResult> {
  const sampler = etcdEndpoint ? await sampleEtcdLoad(etcdEndpoint) : undefined;
  const startedAt = wallNow();
  const batches = await Promise.all(
    hosts.instances.map((peer) => peer.call<RegisterBatch>('restart', { jitterMs })),
  );
  const converged = latencies(
    await perClient(hosts, 'size', { size: instances, since: startedAt }),
    startedAt,
  );
  const registered = batches.flatMap((batch) => batch.latenciesMs);
  return {
    jitterMs,
    registerP50Ms: percentile(registered, 50),
    registerP99Ms: percentile(registered, 99),
    etcd: await sampler?.stop(),
    convergedP50Ms: percentile(converged, 50),
    convergedMaxMs: Math.max(...converged),
  };
}
