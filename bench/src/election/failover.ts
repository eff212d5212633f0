// `npm run bench:election`: leader failover time with the default timing, on Redis, etcd and
// ZooKeeper.
// Three candidate processes (the same program the election tests run) campaign in one group;
// each trial signals the current leader and measures, on this machine's wall clock:
//   SIGKILL: the kill → the next leader's "elected" line
//   SIGTERM: the signal → the next leader's "elected" line (the old one drains and resigns)
// and counts overlaps: pairs of candidates whose acting intervals (elected → revoked, or
// drained: after its last write and before it resigns, or SIGKILLed) intersect. The signalled
// candidate is replaced by a fresh one and the next trial starts after a random 0–700 ms, so
// kills land anywhere in the renewal cycle.
// redis-server, etcd and ZooKeeper (standalone, tickTime 200 ms: it grants the 2 s session the
// default TTL asks for; a default server's minimum is 4 s) are started here on free ports.
// Env: BENCH_TRIALS (default 20).
import { DEFAULT_ELECTION_TIMING } from '@nestmesh/coordination';
import { processCandidate, redisFencedLog, type CandidateControl } from '@nestmesh/coordination/testing';
import { startEtcd, startRedis, startZookeeper, waitFor } from '@nestmesh/testing';
import { Redis } from 'ioredis';

import { percentile } from '../rpc/stats.js';

const trials = Number(process.env.BENCH_TRIALS ?? 20);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  backend: string;
  signal: string;
  failovers: number[];
  overlaps: number;
}

async function run(backend: string, electionUrl: string, storeUrl: string): Promise<Row[]> {
  const group = `bench-${backend}`;
  let serial = 0;
  const alive: (CandidateControl & { exited: Promise<unknown> })[] = [];
  const everyone: CandidateControl[] = [];
  /** Candidate → when it was SIGKILLed (it acts no more from then on). */
  const killedAt = new Map<CandidateControl, number>();
  const spawnOne = async () => {
    const candidate = await processCandidate(electionUrl, storeUrl, {}, group, `c${++serial}`);
    alive.push(candidate);
    everyone.push(candidate);
    await waitFor(() => candidate.events.some((e) => e.event === 'observed'), {
      timeoutMs: 10_000,
      description: `${candidate.id} to be campaigning`,
    });
  };
  for (let i = 0; i < 3; i++) await spawnOne();

  const leading = () =>
    alive.find((c) => {
      const last = c.events.filter((e) => e.event !== 'observed').at(-1);
      return last?.event === 'elected';
    });
  /**
   * Acting intervals of every candidate of the run: elected → revoked, drained (SIGTERM) or
   * killed; the count of pairs of different candidates whose intervals overlap.
   */
  const overlappingPairs = (since: number) => {
    const intervals = everyone.flatMap((c) => {
      const spans: [number, number][] = [];
      let start: number | undefined;
      for (const e of c.events) {
        if (e.event === 'elected') start = e.at;
        else if ((e.event === 'revoked' || e.event === 'drained') && start !== undefined) {
          spans.push([start, e.at]);
          start = undefined;
        }
      }
      if (start !== undefined) spans.push([start, killedAt.get(c) ?? Infinity]);
      return spans.filter(([, end]) => end > since).map((span) => ({ c, span }));
    });
    let pairs = 0;
    for (let i = 0; i < intervals.length; i++)
      for (let j = i + 1; j < intervals.length; j++) {
        const [a, b] = [intervals[i], intervals[j]];
        if (a.c !== b.c && a.span[0] < b.span[1] && b.span[0] < a.span[1]) pairs++;
      }
    return pairs;
  };
  const rows: Row[] = [];
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    const row: Row = { backend, signal, failovers: [], overlaps: 0 };
    const phaseStart = Date.now();
    for (let trial = 0; trial < trials; trial++) {
      const leader = await waitFor(leading, { timeoutMs: 15_000, description: 'a leader' });
      await sleep(Math.random() * 700);
      const signalledAt = Date.now();
      if (signal === 'SIGKILL') killedAt.set(leader, signalledAt);
      const ended = signal === 'SIGKILL' ? leader.kill() : leader.term();
      alive.splice(alive.indexOf(leader), 1);
      const next = await waitFor(
        () => alive.flatMap((c) => c.events).find((e) => e.event === 'elected' && e.at >= signalledAt),
        { timeoutMs: 15_000, description: 'the next leader' },
      );
      await ended;
      row.failovers.push(next.at - signalledAt);
      await spawnOne();
    }
    row.overlaps = overlappingPairs(phaseStart);
    rows.push(row);
  }
  await Promise.all(alive.map((c) => c.kill()));
  // Every accepted write of an epoch came from one candidate, in epoch order (fencing).
  const store = new Redis(storeUrl);
  const accepted = await redisFencedLog(store, group).accepted();
  store.disconnect();
  const writers = new Map<bigint, string>();
  accepted.forEach(({ epoch, candidateId }, i) => {
    if (i > 0 && epoch < accepted[i - 1].epoch) throw new Error('a write went back in epoch');
    if ((writers.get(epoch) ?? candidateId) !== candidateId)
      throw new Error(`epoch ${epoch} had two writers`);
    writers.set(epoch, candidateId);
  });
  return rows;
}

const store = await startRedis();
const redis = await startRedis();
const etcd = await startEtcd();
const zookeeper = await startZookeeper();
const rows: Row[] = [];
try {
  rows.push(...(await run('redis', redis.url, store.url)));
  rows.push(...(await run('etcd', `etcd://${etcd.endpoint.replace('http://', '')}`, store.url)));
  rows.push(...(await run('zookeeper', zookeeper.url, store.url)));
} finally {
  await Promise.all([store.stop(), redis.stop(), etcd.stop(), zookeeper.stop()]);
}

const t = DEFAULT_ELECTION_TIMING;
console.log(
  `Node ${process.version}; default timing (ttl ${t.ttlMs} ms, renew deadline ${t.renewDeadlineMs} ms, retry ${t.retryIntervalMs} ms); ${trials} trials each; 3 candidate processes\n`,
);
console.log('| backend | signal | trials | p50 ms | p99 ms | max ms | overlapping leaders |');
console.log('|---|---|---|---|---|---|---|');
for (const { backend, signal, failovers, overlaps } of rows) {
  console.log(
    `| ${backend} | ${signal} | ${failovers.length} | ${percentile(failovers, 50).toFixed(0)} | ${percentile(failovers, 99).toFixed(0)} | ${Math.max(...failovers).toFixed(0)} | ${overlaps} |`,
  );
}
