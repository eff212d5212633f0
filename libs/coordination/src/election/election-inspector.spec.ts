import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import {
  freePort,
  startEtcd,
  startRedis,
  waitFor,
  type EtcdServer,
  type RedisServer,
} from '@nestmesh/testing';

import { ElectionUnavailableError, InvalidElectionOptionsError } from '../coordination.errors.js';
import { RedisLockBackend } from '../lock/adapters/redis/redis.lock-backend.js';
import { ELECTION_KEY_PREFIX } from './adapters/redis/redis.election.js';
import {
  createElectionInspector,
  type ElectionGroupState,
  type ElectionInspector,
} from './election-inspector.js';
import { createLeaderElection } from './leader-election.factory.js';
import type { LeaderElection } from './leader-election.js';

interface Backend {
  /** The URL elections and the inspector are made from. */
  readonly url: string;
  /** A URL of this scheme where nothing answers (password included: errors must hide it); none for memory. */
  readonly deadUrl?: string;
  close(): Promise<void>;
}

let groupCount = 0;
const newGroup = () => `inspected-${process.pid}-${++groupCount}`;

/** What group(), groups() and watch() must say on every backend, against real elections. */
function inspectorSuite(name: string, start: () => Promise<Backend>): void {
  describe(`election inspection: ${name}`, { timeout: 120_000 }, () => {
    let backend: Backend;
    let inspector: ElectionInspector;
    const elections: LeaderElection[] = [];
    const election = async (group: string) => {
      const made = await createLeaderElection({ url: backend.url, group });
      elections.push(made);
      return made;
    };
    before(async () => {
      backend = await start();
      inspector = await createElectionInspector(backend.url);
    });
    after(async () => {
      await Promise.all(elections.map((made) => made.close()));
      await inspector.close();
      await backend.close();
    });

    it('a group never heard of is undefined and not listed; a leader shows with its epoch and since', async () => {
      const group = newGroup();
      assert.equal(await inspector.group(group), undefined);
      const leadership = await (await election(group)).campaign('first');
      assert.ok(leadership.since instanceof Date);
      assert.deepEqual(await inspector.group(group), {
        group,
        leader: { candidateId: 'first', epoch: leadership.epoch, since: leadership.since },
        lastEpoch: leadership.epoch,
      });
      assert.ok((await inspector.groups()).includes(group));
      assert.ok(!(await inspector.groups()).includes(`${group}-never`));
      await leadership.resign();
    });

    it('after a resign the lease is free and the last epoch stays; the next leader has a higher epoch and a new since', async () => {
      const group = newGroup();
      const first = await (await election(group)).campaign('first');
      await first.resign();
      assert.deepEqual(
        await waitFor(async () => {
          const state = await inspector.group(group);
          return state && !state.leader && state;
        }),
        { group, lastEpoch: first.epoch },
      );
      const second = await (await election(group)).campaign('second');
      const state = await inspector.group(group);
      assert.equal(state?.leader?.candidateId, 'second');
      assert.ok(second.epoch > first.epoch, 'epochs grow');
      assert.equal(state?.leader?.epoch, second.epoch);
      assert.equal(state?.lastEpoch, second.epoch);
      assert.deepEqual(state?.leader?.since, second.since);
      assert.ok(second.since!.getTime() >= first.since!.getTime());
      assert.deepEqual(await (await election(group)).leader(), state?.leader, 'leader() says the same');
      await second.resign();
    });

    it('watch() yields the state at once, then the leader change; aborting ends it', async () => {
      const group = newGroup();
      const first = await (await election(group)).campaign('first');
      const abort = new AbortController();
      const states = inspector.watch(group, { signal: abort.signal })[Symbol.asyncIterator]();
      const until = async (wanted: (state: ElectionGroupState | undefined) => boolean) => {
        for (;;) {
          const next: IteratorResult<ElectionGroupState | undefined> = await states.next();
          assert.ok(!next.done, 'the watch ended early');
          if (wanted(next.value)) return next.value;
        }
      };
      assert.equal((await until(() => true))?.leader?.candidateId, 'first');
      const secondElection = await election(group);
      const secondCampaign = secondElection.campaign('second');
      await first.resign();
      const second = await secondCampaign;
      const changed = await until(
        (state) => state?.leader?.since !== undefined && state.leader.epoch === second.epoch,
      );
      assert.deepEqual(changed, {
        group,
        leader: { candidateId: 'second', epoch: second.epoch, since: second.since },
        lastEpoch: second.epoch,
      });
      // Aborted while it waits for the next poll: the pending read ends at once.
      const pending = states.next();
      abort.abort();
      assert.equal((await pending).done, true);
      await second.resign();
    });

    it('an unreachable backend is ElectionUnavailableError naming the URL without its password', async (t) => {
      if (!backend.deadUrl) return t.skip('this process cannot be unreachable');
      const dead = await createElectionInspector(backend.deadUrl);
      try {
        for (const read of [() => dead.group('any'), () => dead.groups()]) {
          const error = await read().catch((caught: unknown) => caught);
          assert.ok(error instanceof ElectionUnavailableError, String(error));
          assert.match(error.message, /operator:\*\*\*@127\.0\.0\.1:\d+/);
          assert.doesNotMatch(error.message, /s3cret/);
        }
        const watched = dead.watch('any')[Symbol.asyncIterator]();
        await assert.rejects(watched.next(), ElectionUnavailableError);
      } finally {
        await dead.close();
      }
    });

    it('aborting a read rejects with the reason; a bad group name or scheme is InvalidElectionOptionsError', async () => {
      const abort = new AbortController();
      const reason = new Error('operator left');
      abort.abort(reason);
      await assert.rejects(inspector.group('any', { signal: abort.signal }), (error) => error === reason);
      await assert.rejects(inspector.groups({ signal: abort.signal }), (error) => error === reason);
      await assert.rejects(inspector.group('no/slashes'), InvalidElectionOptionsError);
      await assert.rejects(createElectionInspector('zk://127.0.0.1:2181'), InvalidElectionOptionsError);
    });
  });
}

inspectorSuite('memory (this process)', () =>
  Promise.resolve({
    url: 'memory://',
    close: () => Promise.resolve(),
  }),
);

let redis: RedisServer;
inspectorSuite('redis (real redis-server)', async () => {
  redis = await startRedis();
  return {
    url: redis.url,
    deadUrl: `redis://operator:s3cret@127.0.0.1:${await freePort()}`,
    close: () => redis.stop(),
  };
});

let etcd: EtcdServer;
inspectorSuite('etcd (real etcd)', async () => {
  etcd = await startEtcd();
  return {
    url: etcd.endpoint.replace('http://', 'etcd://'),
    deadUrl: `etcd://operator:s3cret@127.0.0.1:${await freePort()}?timeout=500`,
    close: () => etcd.stop(),
  };
});

describe('election inspection changes nothing (real redis-server)', { timeout: 60_000 }, () => {
  it('reading a lease nobody renews: its TTL keeps falling, its owner and epoch stay', async () => {
    const server = await startRedis();
    const leases = new RedisLockBackend({ url: server.url, prefix: ELECTION_KEY_PREFIX });
    const raw = new Redis(server.url);
    const inspector = await createElectionInspector(server.url);
    try {
      const epoch = await leases.acquire('frozen', 'still/0000', 5000);
      let lastPttl = await raw.pttl(`${ELECTION_KEY_PREFIX}{frozen}`);
      for (let read = 0; read < 5; read++) {
        assert.deepEqual(await inspector.group('frozen'), {
          group: 'frozen',
          leader: { candidateId: 'still', epoch },
          lastEpoch: epoch,
        });
        await new Promise((resolve) => setTimeout(resolve, 20));
        const pttl = await raw.pttl(`${ELECTION_KEY_PREFIX}{frozen}`);
        assert.ok(pttl < lastPttl, `PTTL fell from ${lastPttl} to ${pttl}`);
        lastPttl = pttl;
      }
      assert.equal(await raw.get(`${ELECTION_KEY_PREFIX}{frozen}`), 'still/0000');
      assert.deepEqual((await raw.keys('*')).sort(), [
        `${ELECTION_KEY_PREFIX}{frozen}`,
        `${ELECTION_KEY_PREFIX}{frozen}:fence`,
      ]);
    } finally {
      raw.disconnect();
      await inspector.close();
      await leases.close();
      await server.stop();
    }
  });
});
