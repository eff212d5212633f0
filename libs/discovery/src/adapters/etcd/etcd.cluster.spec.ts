import assert from 'node:assert/strict';
import { afterEach, after, before, describe, it } from 'node:test';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import {
  ETCD_CLUSTER_ELECTION_TIMEOUT_MS,
  spawnOwned,
  startEtcdCluster,
  waitFor,
  type EtcdCluster,
  type EtcdClusterMember,
  type MemberStreams,
} from '@nestmesh/testing';

import { RegistryUnavailableError } from '../../discovery.errors.js';
import type { ServiceInstance } from '../../service-instance.js';
import { within } from '../../testing/until.js';
import { watchWithRetry } from '../../watch-with-retry.js';
import { DEFAULT_ETCD_PREFIX, ETCD_REREGISTER_BACKOFF } from './etcd.constants.js';
import { EtcdRegistry } from './etcd.registry.js';

const TTL_SECONDS = 2;
const REQUEST_TIMEOUT_MS = 2_000;
/** etcd3 stops calling a host for 5 s after 3 failures in a row (its default circuit breaker). */
const ETCD3_BREAKER_MS = 5_000;
/**
 * How soon etcd answers again after a lost quorum returns: an election, then etcd3's breaker
 * on the hosts that failed, then one re-registration backoff step. Doubled: a loaded machine.
 */
const RECOVERY_BOUND_MS =
  2 *
  (ETCD_CLUSTER_ELECTION_TIMEOUT_MS * 3 +
    ETCD3_BREAKER_MS +
    ETCD_REREGISTER_BACKOFF.maxMs +
    REQUEST_TIMEOUT_MS);

const instance = (name: string, id: string, port = 5000): ServiceInstance => ({
  id,
  name,
  address: '127.0.0.1',
  port,
  metadata: {},
  tags: [],
});

const ids = (instances: readonly ServiceInstance[]) => instances.map((each) => each.id).sort();

/** Follows `name` through `registry.watch` (no retry): every list seen, and how it ended. */
function follow(registry: EtcdRegistry, name: string) {
  const abort = new AbortController();
  const seen: string[][] = [];
  const ended = (async () => {
    for await (const list of registry.watch(name, { signal: abort.signal })) seen.push(ids(list));
  })().then(
    () => undefined,
    (error: unknown) => error,
  );
  return { seen, ended, stop: () => abort.abort() };
}

describe(
  'etcd discovery on a three-member cluster: member loss, leader loss, quorum loss',
  { timeout: 300_000 },
  () => {
    let cluster: EtcdCluster;
    let admin: Etcd3;
    const registries: EtcdRegistry[] = [];

    const connect = () => {
      const registry = new EtcdRegistry({
        hosts: cluster.members.map((member) => member.endpoint),
        ttlSeconds: TTL_SECONDS,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
      });
      registries.push(registry);
      return registry;
    };

    /** Every key under the service's prefix with the lease it is attached to, read linearizably. */
    const keysOf = async (name: string) => {
      const { kvs } = await admin.getAll().prefix(`${DEFAULT_ETCD_PREFIX}/${name}/`).exec();
      return kvs.map((kv) => ({ key: kv.key.toString(), lease: kv.lease }));
    };

    /** The one member serving `what` of this process's streams, once exactly one does. */
    const memberServing = (what: keyof MemberStreams) =>
      waitFor(
        async () => {
          const running = cluster.members.filter((member) => member.running);
          const counts = await Promise.all(running.map((member) => member.streams()));
          const serving = running.filter((_, index) => counts[index][what] > 0);
          const total = counts.reduce((sum, count) => sum + count[what], 0);
          return serving.length === 1 && total === 1 ? serving[0] : undefined;
        },
        { description: `the member serving our ${what}` },
      );

    before(async () => {
      cluster = await startEtcdCluster();
      admin = new Etcd3({ hosts: cluster.members.map((member) => member.endpoint) });
    });

    afterEach(async () => {
      for (const registry of registries.splice(0)) registry.close();
      for (const member of cluster.members) if (!member.running) await member.start();
      await cluster.healthy();
    });

    after(async () => {
      admin?.close();
      await cluster?.stop();
    });

    /**
     * Registers instances of `name` one after another while `disrupt` runs, and checks what a
     * watcher saw: it never failed, every list contains the one before (only additions happen, so
     * a lost event would show as a missing id and a replayed delete as one gone), and it ends on
     * every instance registered.
     */
    const watchThrough = async (name: string, disrupt: (watched: EtcdClusterMember) => Promise<void>) => {
      const registrar = connect();
      const watching = follow(connect(), name);
      await waitFor(() => watching.seen.length > 0, { description: 'the first list' });
      const watched = await memberServing('watchers');
      const registered: string[] = [];
      const register = async (count: number) => {
        for (let index = 0; index < count; index++) {
          const id = `${name}-${registered.length}`;
          await registrar.register(instance(name, id));
          registered.push(id);
        }
      };
      await register(5);
      await disrupt(watched);
      await register(5);
      await waitFor(() => watching.seen.at(-1)?.length === registered.length, {
        timeoutMs: RECOVERY_BOUND_MS,
        description: 'the watcher to see every registration',
      });
      watching.stop();
      assert.equal(await watching.ended, undefined, 'the watch moved to another member without failing');
      assert.deepEqual(watching.seen.at(-1), [...registered].sort());
      for (let index = 1; index < watching.seen.length; index++) {
        const previous = watching.seen[index - 1];
        assert.ok(
          previous.every((id) => watching.seen[index].includes(id)),
          `list ${index} lost an instance`,
        );
      }
      assert.equal((await keysOf(name)).length, registered.length, 'one key per instance');
    };

    it('the member serving a watch is killed: the watch resumes on another member from its revision', async () => {
      await watchThrough('watched', (member) => member.kill());
    });

    it('the Raft leader is killed: a watch resumes, no event lost', async () => {
      await watchThrough('leader-killed', async () => (await cluster.leader())!.kill());
    });

    /**
     * Registers one instance and kills the member `pick` names: the key must stay, on the same
     * lease, for three TTLs (a lease whose renewals did not move to a live member would expire
     * within one). Each renewal is one request to a member picked at random, so about a third
     * of them go to the killed member first.
     */
    const leaseThrough = async (name: string, pick: () => Promise<EtcdClusterMember>) => {
      const registrar = connect();
      await registrar.register(instance(name, `${name}-1`));
      const [{ lease }] = await keysOf(name);
      await (await pick()).kill();
      const watchUntil = performance.now() + 3 * TTL_SECONDS * 1000;
      while (performance.now() < watchUntil) {
        assert.deepEqual(await keysOf(name), [{ key: `${DEFAULT_ETCD_PREFIX}/${name}/${name}-1`, lease }]);
      }
    };

    it('a follower member is killed: the registration keeps its lease', async () => {
      await leaseThrough('follower-killed', async () => {
        const leader = await cluster.leader();
        return cluster.members.find((member) => member !== leader)!;
      });
    });

    it('the Raft leader is killed: the registration keeps its lease', async () => {
      await leaseThrough('leader-lease', async () => (await cluster.leader())!);
    });

    it('members killed one after another while registered: close() then leaves nothing alive', async () => {
      const child = spawnOwned(
        process.execPath,
        [
          fileURLToPath(new URL('./cluster-registrant.fixture.js', import.meta.url)),
          JSON.stringify(cluster.members.map((member) => member.endpoint)),
          JSON.stringify(instance('closing', 'closing-1')),
          String(TTL_SECONDS),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const exited = once(child, 'exit');
      try {
        let output = '';
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        await waitFor(() => output.includes('registered'), { description: 'the registrant to register' });
        // Each kill breaks whatever renewal or stream the registrant has on those members; two
        // down is a quorum lost, for less than the 2 TTLs after which the lease counts as lost.
        const [first, second, third] = cluster.members;
        for (const down of [[first], [second], [third], [first, second], [second, third], [third, first]]) {
          await Promise.all(down.map((member) => member.kill()));
          await sleep(TTL_SECONDS * 1000);
          await Promise.all(down.map((member) => member.start()));
          await cluster.healthy();
        }
        assert.equal((await keysOf('closing')).length, 1, 'still registered');
        child.stdin!.end('close\n');
        await waitFor(() => output.includes('closed'), { description: 'the registry to close' });
        // A renewal timer left running would keep it alive for good; a TTL is ample.
        const exit = await within(exited, 2 * TTL_SECONDS * 1000);
        assert.notEqual(exit, 'pending', 'the process exited by itself after close()');
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
    });

    it('quorum lost: typed errors, the last list kept; back: every instance registered once, watchers converge', async (t) => {
      const name = 'quorum';
      const registrar = connect();
      for (const id of ['q-1', 'q-2']) await registrar.register(instance(name, id));
      const watching = new AbortController();
      let last: string[] = [];
      let watchErrors = 0;
      const consumed = (async () => {
        const options = { signal: watching.signal, onError: () => void watchErrors++ };
        for await (const list of watchWithRetry(connect(), name, options)) last = ids(list);
      })();
      t.after(() => watching.abort());
      await waitFor(() => last.length === 2, { description: 'the watcher to list both' });

      const leader = (await cluster.leader())!;
      const other = cluster.members.find((member) => member !== leader)!;
      await Promise.all([leader.kill(), other.kill()]);
      await assert.rejects(registrar.instances(name), RegistryUnavailableError);
      await assert.rejects(registrar.register(instance(name, 'q-3')), RegistryUnavailableError);
      // The outage outlasts 2 TTLs, after which etcd3 gives up a lease it could not renew: the
      // registrar must register those instances again once etcd is back.
      await sleep(2 * TTL_SECONDS * 1000 + 1000);
      assert.ok(watchErrors > 0, 'the watch reported the outage');
      assert.deepEqual(last, ['q-1', 'q-2'], 'the watcher kept the last list');

      await Promise.all([leader.start(), other.start()]);
      const quorumBackAt = performance.now();
      await cluster.healthy();
      await waitFor(async () => (await keysOf(name)).length === 2 && last.length === 2, {
        timeoutMs: RECOVERY_BOUND_MS,
        description: 'both registrations back',
      });
      t.diagnostic(
        `keys listed and the watcher converged ${Math.round(performance.now() - quorumBackAt)} ms after the restart`,
      );
      // The leases of the outage expire about a TTL after the new leader renews them: the keys
      // must have moved to live leases by then, and nothing may be registered twice meanwhile.
      const holdUntil = performance.now() + 3 * TTL_SECONDS * 1000;
      while (performance.now() < holdUntil) {
        const keys = (await keysOf(name)).map(({ key }) => key.slice(key.lastIndexOf('/') + 1));
        assert.deepEqual(keys.sort(), ['q-1', 'q-2']);
        assert.deepEqual(ids(await registrar.instances(name)), ['q-1', 'q-2']);
        assert.deepEqual(last, ['q-1', 'q-2']);
        await sleep(50);
      }
      watching.abort();
      await consumed;
    });
  },
);
