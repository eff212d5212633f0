import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startEtcd, waitFor, type EtcdServer } from '@nestmesh/testing';

import {
  ElectionUnavailableError,
  InvalidElectionOptionsError,
  LeadershipLostError,
} from '../../../coordination.errors.js';
import { DEFAULT_ELECTION_TIMING, type LeaderInfo, type Leadership } from '../../leader-election.js';
import { EtcdLeaderElection } from './etcd.election.js';

const pending = Symbol('pending');
/** The promise's value if it has settled by now, else `pending`; never waits. */
async function peek<T>(promise: Promise<T>): Promise<T | typeof pending> {
  return Promise.race([
    promise,
    new Promise<typeof pending>((resolve) => setImmediate(() => resolve(pending))),
  ]);
}

function lostReason(leadership: Leadership): LeadershipLostError {
  assert.ok(leadership.signal.reason instanceof LeadershipLostError);
  return leadership.signal.reason;
}

function aborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : once(signal, 'abort').then(() => undefined);
}

describe('EtcdLeaderElection (real etcd)', { timeout: 120_000 }, () => {
  let etcd: EtcdServer;
  let raw: Etcd3;
  const elections: EtcdLeaderElection[] = [];
  const election = (group: string) => {
    const created = new EtcdLeaderElection({ hosts: [etcd.endpoint], group });
    elections.push(created);
    return created;
  };
  const candidateKeys = (group: string) => raw.getAll().prefix(`nestmesh/election/${group}/`).keys();

  before(async () => {
    etcd = await startEtcd();
    raw = new Etcd3({ hosts: [etcd.endpoint] });
  });
  after(async () => {
    await Promise.all(elections.map((e) => e.close()));
    raw.close();
    await etcd.stop();
  });

  it('of 3 candidates exactly one leads, leader() names it, and each resign hands over (before the lease could run out) to a greater epoch', async (t) => {
    const [a, b, c] = [election('three'), election('three'), election('three')];
    const campaigns = new Map([
      ['a', a.campaign('a')],
      ['b', b.campaign('b')],
      ['c', c.campaign('c')],
    ]);
    let leadership = await Promise.race(campaigns.values());
    campaigns.delete(leadership.candidateId);
    await waitFor(async () => (await candidateKeys('three')).length === 3, {
      description: 'three candidate keys',
    });
    for (const campaign of campaigns.values()) assert.equal(await peek(campaign), pending, 'a second leader');
    assert.deepEqual(await c.leader(), {
      candidateId: leadership.candidateId,
      epoch: leadership.epoch,
      since: leadership.since,
    });

    while (campaigns.size > 0) {
      const resignedAt = performance.now();
      await leadership.resign();
      assert.equal(lostReason(leadership).why, 'resigned');
      const next = await Promise.race(campaigns.values());
      const takeoverMs = performance.now() - resignedAt;
      t.diagnostic(`takeover after resign: ${takeoverMs.toFixed(1)} ms`);
      // A resign revokes the lease at once; left to expire, it would last up to a TTL after its
      // last keep-alive (at most ttlMs / 3 ago): the next leader must come sooner than that.
      const { ttlMs } = a.timing;
      assert.ok(takeoverMs < ttlMs - ttlMs / 3, `took over after ${takeoverMs} ms`);
      assert.ok(next.epoch > leadership.epoch, 'epochs grow');
      campaigns.delete(next.candidateId);
      for (const campaign of campaigns.values())
        assert.equal(await peek(campaign), pending, 'a second leader');
      assert.deepEqual(await a.leader(), {
        candidateId: next.candidateId,
        epoch: next.epoch,
        since: next.since,
      });
      assert.ok(next.since! >= leadership.since!, 'a later leadership began later');
      leadership = next;
    }
    await leadership.resign();
    assert.equal(await a.leader(), undefined);
  });

  it('observe() yields the current leader at once, then each change (its since once recorded), and ends when aborted', async () => {
    const [watching, first, second] = [election('observed'), election('observed'), election('observed')];
    const abort = new AbortController();
    const leaders = watching.observe({ signal: abort.signal })[Symbol.asyncIterator]();
    /** The next yield `wanted` accepts (the since of a new leader comes in a second yield). */
    const until = async (wanted: (leader: LeaderInfo | undefined) => boolean) => {
      for (;;) {
        const next: IteratorResult<LeaderInfo | undefined> = await leaders.next();
        assert.ok(!next.done, 'the observation ended early');
        if (wanted(next.value)) return next.value;
      }
    };
    assert.equal(await until(() => true), undefined);
    const one = await first.campaign('one');
    assert.deepEqual(await until((leader) => leader?.since !== undefined), {
      candidateId: 'one',
      epoch: one.epoch,
      since: one.since,
    });
    const twoCampaign = second.campaign('two');
    await waitFor(async () => (await candidateKeys('observed')).length === 2, {
      description: 'a waiting candidate',
    });
    await one.resign();
    const two = await twoCampaign;
    assert.deepEqual(await until((leader) => leader?.since !== undefined), {
      candidateId: 'two',
      epoch: two.epoch,
      since: two.since,
    });
    await two.resign();
    assert.equal(await until(() => true), undefined);
    abort.abort();
    assert.equal((await leaders.next()).done, true);
  });

  it('aborting a waiting campaign rejects it with the signal reason and removes its key', async () => {
    const [leading, waiting] = [election('aborted'), election('aborted')];
    const leadership = await leading.campaign('leader');
    const abort = new AbortController();
    const campaign = waiting.campaign('follower', { signal: abort.signal });
    await waitFor(async () => (await candidateKeys('aborted')).length === 2, {
      description: 'a waiting candidate',
    });
    const reason = new Error('no longer wanted');
    abort.abort(reason);
    await assert.rejects(campaign, (error) => error === reason);
    await waitFor(async () => (await candidateKeys('aborted')).length === 1, {
      description: 'the key removed',
    });
    assert.ok(leadership.active);
    await leadership.resign();
  });

  it('a leader whose key is deleted loses leadership as expired; the election campaigns again at a greater epoch', async () => {
    const elected = election('deleted');
    const leadership = await elected.campaign('x');
    await raw.delete().prefix('nestmesh/election/deleted/');
    await aborted(leadership.signal);
    assert.equal(lostReason(leadership).why, 'expired');
    const again = await elected.campaign('x');
    assert.ok(again.epoch > leadership.epoch);
    await again.resign();
  });

  it('rejects ttlMs that etcd cannot grant: not whole seconds, or under 2000', () => {
    // Each passes electionTiming(); 1000 only with a deadline and retries that fit it.
    const timings = [
      { ttlMs: 1500 },
      { ttlMs: 2500 },
      { ttlMs: 1000, renewDeadlineMs: 750, retryIntervalMs: 10 },
    ];
    for (const timing of timings)
      assert.throws(
        () => new EtcdLeaderElection({ hosts: [etcd.endpoint], group: 'ttl', timing }),
        (error) => error instanceof InvalidElectionOptionsError && error.option === 'ttlMs',
      );
    elections.push(new EtcdLeaderElection({ hosts: [etcd.endpoint], group: 'ttl', timing: { ttlMs: 3000 } }));
  });

  it('close() resigns, ends campaigns and observers, and leaves nothing that keeps the process alive', async (t) => {
    const script = `
      const { EtcdLeaderElection } = await import(process.env.ELECTION_MODULE);
      const election = new EtcdLeaderElection({ hosts: [process.env.ETCD], group: 'exit' });
      const leadership = await election.campaign('x');
      const waiting = election.campaign('y').catch((error) => error.message);
      const observed = [];
      const observing = (async () => { for await (const l of election.observe()) observed.push(l?.candidateId); })();
      await new Promise((resolve) => { const poll = () => observed.length ? resolve() : setImmediate(poll); poll(); });
      await election.close();
      await observing;
      console.log(JSON.stringify({ why: leadership.signal.reason.why, waiting: await waiting, observed }));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        ...process.env,
        ETCD: etcd.endpoint,
        ELECTION_MODULE: new URL('./etcd.election.js', import.meta.url).href,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    let printedAt = 0;
    child.stdout.once('data', () => (printedAt = performance.now()));
    // A hang guard: a few round trips and lease grants; ten leases is a hang, not load.
    const hung = setTimeout(() => child.kill('SIGKILL'), 10 * DEFAULT_ELECTION_TIMING.ttlMs);
    const [code] = await (once(child, 'exit') as Promise<
      [code: number | null, signal: NodeJS.Signals | null]
    >);
    clearTimeout(hung);
    t.diagnostic(`exited ${(performance.now() - printedAt).toFixed(0)} ms after close()`);
    assert.equal(code, 0, 'the process exited by itself');
    assert.deepEqual(JSON.parse(output), { why: 'closed', waiting: 'election exit closed', observed: ['x'] });
    assert.deepEqual(await candidateKeys('exit'), [], 'close() revoked every lease');
  });

  // Last: restarts etcd.
  it('a leader cut off from etcd demotes itself (unconfirmed) before its lease ends; a running campaign wins after etcd is back', async (t) => {
    const [leading, following] = [election('outage'), election('outage')];
    const leadership = await leading.campaign('leader');
    const campaign = following.campaign('follower');
    await waitFor(async () => (await candidateKeys('outage')).length === 2, {
      description: 'a waiting candidate',
    });
    const killedAt = performance.now();
    await etcd.kill();
    await aborted(leadership.signal);
    const demotedMs = performance.now() - killedAt;
    t.diagnostic(`demoted ${demotedMs.toFixed(0)} ms after etcd was killed`);
    assert.equal(lostReason(leadership).why, 'unconfirmed');
    // Due by renewDeadlineMs after the last keep-alive (before the kill); 2× for a loaded machine.
    assert.ok(demotedMs < 2 * leading.timing.renewDeadlineMs, `demoted after ${demotedMs} ms`);
    await assert.rejects(leading.leader(), ElectionUnavailableError);
    assert.equal(await peek(campaign), pending, 'the campaign goes on while etcd is down');

    await etcd.start();
    const startedAt = performance.now();
    const next = await campaign;
    t.diagnostic(`follower led ${(performance.now() - startedAt).toFixed(0)} ms after etcd was back`);
    assert.ok(next.epoch > leadership.epoch);
    assert.deepEqual(await leading.leader(), {
      candidateId: 'follower',
      epoch: next.epoch,
      since: next.since,
    });
    await next.resign();
  });
});
