// `npm run bench:election:etcd-cluster`: etcd elections on one member vs a three-member cluster,
// same run, default election timing, three candidate processes (the election tests' program):
//   candidate SIGKILL: the leading candidate killed → the next leader's "elected" line
//                      (one etcd, then the cluster)
//   Raft leader member SIGKILL (cluster only): the etcd member leading Raft killed → the
//                      longest pause in the group's accepted fenced writes around it, and
//                      whether the leadership changed hands
// The cluster is startEtcdCluster's: heartbeat 100 ms, election timeout 1000 ms. The killed
// member is restarted (data kept) before the next trial. Env: BENCH_TRIALS (default 10).
import { DEFAULT_ELECTION_TIMING } from '@nestmesh/coordination';
import { processCandidate, type CandidateControl } from '@nestmesh/coordination/testing';
import { startEtcd, startEtcdCluster, startRedis, waitFor, type EtcdCluster } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { percentile } from '../rpc/stats.js';

const trials = Number(process.env.BENCH_TRIALS ?? 10);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  setup: string;
  disruption: string;
  milliseconds: number[];
  note: string;
}

type Running = CandidateControl & { exited: Promise<unknown> };

const leadingOf = (alive: Running[]) =>
  alive.find(
    (candidate) => candidate.events.filter((event) => event.event !== 'observed').at(-1)?.event === 'elected',
  );

async function candidates(electionUrl: string, storeUrl: string, group: string) {
  let serial = 0;
  const alive: Running[] = [];
  const spawnOne = async () => {
    const candidate = await processCandidate(electionUrl, storeUrl, {}, group, `c${++serial}`);
    alive.push(candidate);
    await waitFor(() => candidate.events.some((event) => event.event === 'observed'), { timeoutMs: 10_000 });
  };
  for (let index = 0; index < 3; index++) await spawnOne();
  return { alive, spawnOne, stop: () => Promise.all(alive.map((candidate) => candidate.kill())) };
}

/** The leading candidate SIGKILLed `trials` times (replaced each time): kill → next "elected". */
async function candidateFailover(setup: string, electionUrl: string, storeUrl: string): Promise<Row> {
  const group = `bench-${setup.replace(/\W+/g, '')}-kill`;
  const { alive, spawnOne, stop } = await candidates(electionUrl, storeUrl, group);
  const milliseconds: number[] = [];
  try {
    for (let trial = 0; trial < trials; trial++) {
      const leader = await waitFor(() => leadingOf(alive), { timeoutMs: 15_000 });
      await sleep(Math.random() * 700);
      const killedAt = Date.now();
      alive.splice(alive.indexOf(leader), 1);
      await leader.kill();
      const next = await waitFor(
        () => alive.flatMap((c) => c.events).find((e) => e.event === 'elected' && e.at >= killedAt),
        { timeoutMs: 15_000 },
      );
      milliseconds.push(next.at - killedAt);
      await spawnOne();
    }
  } finally {
    await stop();
  }
  return { setup, disruption: 'leading candidate SIGKILL → next elected', milliseconds, note: '' };
}

/** The Raft leader member SIGKILLed: the longest gap in accepted writes from 1 s before to 5 s after. */
async function memberLoss(cluster: EtcdCluster, storeUrl: string, store: Redis): Promise<Row> {
  const group = 'bench-cluster-member';
  const { alive, stop } = await candidates(cluster.url, storeUrl, group);
  const milliseconds: number[] = [];
  let handovers = 0;
  // The fenced log keeps no times: sample its length (the list redisFencedLog appends to)
  // every 5 ms and note when it grows.
  const writeTimes: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    let length = 0;
    while (sampling) {
      const now = await store.llen(`${group}:log`);
      if (now > length) writeTimes.push(Date.now());
      length = now;
      await sleep(5);
    }
  })();
  try {
    for (let trial = 0; trial < trials; trial++) {
      const leader = await waitFor(() => leadingOf(alive), { timeoutMs: 15_000 });
      await sleep(1000 + Math.random() * 700);
      const raftLeader = (await cluster.leader())!;
      const killedAt = Date.now();
      await raftLeader.kill();
      await sleep(5000);
      const around = writeTimes.filter((at) => at >= killedAt - 1000);
      milliseconds.push(Math.max(...around.slice(1).map((at, index) => at - around[index])));
      if (leadingOf(alive) !== leader) handovers++;
      await raftLeader.start();
      await cluster.healthy();
    }
  } finally {
    sampling = false;
    await sampler;
    await stop();
  }
  const note = `leadership changed hands in ${handovers} of ${trials}`;
  return {
    setup: 'etcd ×3',
    disruption: 'Raft leader member SIGKILL → longest write gap',
    milliseconds,
    note,
  };
}

const store = await startRedis();
const single = await startEtcd();
const cluster = await startEtcdCluster();
const storeClient = new Redis(store.url);
const rows: Row[] = [];
try {
  rows.push(await candidateFailover('etcd ×1', single.url, store.url));
  rows.push(await candidateFailover('etcd ×3', cluster.url, store.url));
  rows.push(await memberLoss(cluster, store.url, storeClient));
} finally {
  storeClient.disconnect();
  await Promise.all([store.stop(), single.stop(), cluster.stop()]);
}

const t = DEFAULT_ELECTION_TIMING;
console.log(
  `Node ${process.version}; default timing (ttl ${t.ttlMs} ms, renew deadline ${t.renewDeadlineMs} ms, retry ${t.retryIntervalMs} ms); ${trials} trials each; 3 candidate processes; cluster: heartbeat 100 ms, election timeout 1000 ms\n`,
);
console.log('| etcd | disruption | trials | p50 ms | p99 ms | max ms | note |');
console.log('|---|---|---|---|---|---|---|');
for (const { setup, disruption, milliseconds, note } of rows) {
  console.log(
    `| ${setup} | ${disruption} | ${milliseconds.length} | ${percentile(milliseconds, 50).toFixed(0)} | ${percentile(milliseconds, 99).toFixed(0)} | ${Math.max(...milliseconds).toFixed(0)} | ${note} |`,
  );
}
