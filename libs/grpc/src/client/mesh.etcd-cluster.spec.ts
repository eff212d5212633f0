import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { Discovery, DiscoveryModule, RegistryUnavailableError } from '@nestmesh/discovery';
import {
  startContext,
  startEtcdCluster,
  startWorkers,
  waitFor,
  type EtcdCluster,
  type EtcdClusterMember,
} from '@nestmesh/testing';

import { MeshGrpcServer } from '../server/mesh-grpc.server.js';
import { FixtureModule } from '../test-fixtures/fixture-inventory.js';
import { MeshClientModule, meshClientToken } from './mesh-client.module.js';
import type { MeshClient } from './typed-client.js';

const TTL_SECONDS = 2;
const REQUEST_TIMEOUT_MS = 2_000;
/** etcd3's circuit breaker (5 s), the resolver's backoff (2 s), a request, an election: doubled for a loaded machine. */
const CONVERGE_BOUND_MS = 2 * (5_000 + 2_000 + REQUEST_TIMEOUT_MS + 3_000);

interface Load {
  served: Map<string, number>;
  failures: string[];
  stop(): Promise<void>;
}

describe(
  'mesh client on a three-member etcd: calls keep flowing through member, leader and quorum loss',
  { timeout: 240_000 },
  () => {
    let cluster: EtcdCluster;
    let registry: string;
    const apps: INestApplicationContext[] = [];
    let client: MeshClient<typeof InventoryServiceService>;
    let discovery: Discovery;
    /** The instances registered before the quorum loss. */
    const original: string[] = [];

    const startServer = async () => {
      const app = await startContext(FixtureModule.forRoot({ registry }));
      apps.push(app);
      return app.get(MeshGrpcServer).instance!.id;
    };

    /** Four loops calling GetStock until stopped: which instance served each call, and every failure. */
    const load = (): Load => {
      const served = new Map<string, number>();
      const failures: string[] = [];
      const workers = startWorkers(4, async (signal) => {
        try {
          const { servedBy } = await client.getStock({ sku: 'x' }, { signal });
          served.set(servedBy, (served.get(servedBy) ?? 0) + 1);
        } catch (error) {
          if (!signal.aborted) failures.push(String(error));
        }
      });
      return { served, failures, stop: () => workers.stop() };
    };

    /** The running member serving the most watches of this process (the resolvers' among them). */
    const busiestWatchMember = async (): Promise<EtcdClusterMember> => {
      const running = cluster.members.filter((member) => member.running);
      const counts = await Promise.all(running.map(async (member) => (await member.streams()).watchers));
      return running[counts.indexOf(Math.max(...counts))];
    };

    const callsServed = (traffic: Load) =>
      [...traffic.served.values()].reduce((sum, count) => sum + count, 0);

    /** Runs `disrupt` under load: not one call may fail, and calls must go on for a while after it. */
    const noCallFails = async (disrupt: () => Promise<void>) => {
      const traffic = load();
      try {
        await waitFor(() => callsServed(traffic) >= 50, { description: '50 calls before' });
        await disrupt();
        const before = callsServed(traffic);
        await waitFor(() => callsServed(traffic) >= before + 200, { description: '200 calls after' });
      } finally {
        await traffic.stop();
      }
      assert.deepEqual(traffic.failures, []);
      for (const member of cluster.members) if (!member.running) await member.start();
      await cluster.healthy();
    };

    before(async () => {
      cluster = await startEtcdCluster();
      registry = `${cluster.url}?ttl=${TTL_SECONDS}&timeout=${REQUEST_TIMEOUT_MS}`;
      original.push(await startServer(), await startServer());
      @Module({
        imports: [
          DiscoveryModule.forRoot({ url: registry }),
          MeshClientModule.register({
            service: 'fixture',
            definition: InventoryServiceService,
            timeoutMs: 3_000,
          }),
        ],
      })
      class CallerModule {}
      const caller = await startContext(CallerModule);
      apps.push(caller);
      client = caller.get(meshClientToken(InventoryServiceService));
      discovery = caller.get(Discovery);
      await waitFor(async () => (await client.getStock({ sku: 'x' })).servedBy !== undefined, {
        description: 'calls through the cluster',
      });
    });

    after(async () => {
      try {
        await Promise.all(apps.splice(0).map((app) => app.close()));
      } finally {
        await cluster?.stop();
      }
    });

    it('the member serving the watches is killed: no call fails', async () => {
      await noCallFails(async () => (await busiestWatchMember()).kill());
    });

    it('the Raft leader is killed: no call fails', async () => {
      await noCallFails(async () => (await cluster.leader())!.kill());
    });

    it('quorum lost: calls go on to the last known instances; back: a new instance is reached', async (t) => {
      const traffic = load();
      try {
        await waitFor(() => callsServed(traffic) >= 50, { description: '50 calls before' });
        const leader = (await cluster.leader())!;
        const other = cluster.members.find((member) => member !== leader)!;
        await Promise.all([leader.kill(), other.kill()]);
        await assert.rejects(discovery.instances('fixture'), RegistryUnavailableError);
        // Longer than 2 TTLs: the registrars give their leases up, the resolvers' watches fail
        // and retry; the channels must keep their lists all along.
        const before = callsServed(traffic);
        await sleep(2 * TTL_SECONDS * 1000 + 2_000);
        assert.ok(callsServed(traffic) > before, 'calls went on without a quorum');
        assert.deepEqual(traffic.failures, [], 'no call failed without a quorum');

        await Promise.all([leader.start(), other.start()]);
        await cluster.healthy();
        const quorumBackAt = performance.now();
        const added = await startServer();
        await waitFor(() => (traffic.served.get(added) ?? 0) > 0, {
          timeoutMs: CONVERGE_BOUND_MS,
          description: 'calls to reach the instance registered after the quorum came back',
        });
        t.diagnostic(
          `a new instance reached ${Math.round(performance.now() - quorumBackAt)} ms after the quorum was back`,
        );
        // The registrations lost without a quorum come back on their own: each registrar retries
        // with backoff, so they may be listed a little after the new instance is reached.
        let listed: string[] = [];
        const listedTwice = new Set<string>();
        await waitFor(
          async () => {
            listed = (await discovery.instances('fixture')).map((instance) => instance.id);
            for (const id of listed) if (listed.indexOf(id) !== listed.lastIndexOf(id)) listedTwice.add(id);
            return [...original, added].every((id) => listed.includes(id));
          },
          {
            timeoutMs: CONVERGE_BOUND_MS,
            intervalMs: 100,
            description: 'the registrations lost without a quorum to come back',
          },
        );
        t.diagnostic(
          `all ${listed.length} instances listed ${Math.round(performance.now() - quorumBackAt)} ms after the quorum was back`,
        );
        assert.deepEqual([...listedTwice], [], 'no instance listed twice');
        assert.equal(listed.length, 3);
      } finally {
        await traffic.stop();
      }
      assert.deepEqual(traffic.failures, []);
    });
  },
);
