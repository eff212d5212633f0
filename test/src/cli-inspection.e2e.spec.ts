// `nestmesh services`, `leader` and `locks` against a running multi-process mesh (etcd +
// Redis + inventory processes that elect a leader of group `inventory` on Redis), through the
// Catalog and the coordination inspectors, as a user runs the built bin.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createLockBackend,
  LockService,
  type ClosableLockBackend,
  type LockHandle,
} from '@nestmesh/coordination';
import { freePort, waitFor } from '@nestmesh/testing';

import { startMeshCluster, type MeshCluster } from './fixtures/mesh-cluster.js';
import { runCli } from './support/cli-process.js';

describe('nestmesh services, leader and locks on a running mesh', { timeout: 240_000 }, () => {
  let cluster: MeshCluster;
  let env: Record<string, string>;
  let lockBackend: ClosableLockBackend;
  let held: LockHandle;

  before(async () => {
    cluster = await startMeshCluster({ inventories: 2, order: true });
    env = { DISCOVERY_URL: cluster.discoveryUrl, REDIS_URL: cluster.redisUrl };
    lockBackend = await createLockBackend({ url: cluster.redisUrl });
    held = await new LockService(lockBackend).acquire('cli-test:held', { ttlMs: 60_000 });
  });
  after(async () => {
    await held?.release().catch(() => undefined);
    await lockBackend?.close?.();
    await cluster?.stop();
  });

  describe('services', () => {
    it('lists every service and instance with its address, health and registration time', async () => {
      const run = await runCli(['services'], { env });
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stdout.trim().split('\n');
      assert.match(lines[0], /^SERVICE\s+INSTANCE\s+ADDRESS\s+HEALTH\s+SINCE\s+UP\s+TAGS\s+METADATA$/);
      for (const { id, grpc } of cluster.inventories)
        assert.ok(
          lines.some((line) =>
            new RegExp(
              `^inventory\\s+${id}\\s+${grpc}\\s+passing\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\s+\\d+[smhd]`,
            ).test(line),
          ),
          run.stdout,
        );
      assert.ok(
        lines.some((line) => line.startsWith('order ')),
        'the order app too',
      );
      const services = lines.slice(1).map((line) => line.split(/\s+/)[0]);
      assert.deepEqual(services, [...services].sort(), 'sorted by service');
    });

    it('--json: the same as objects, registeredAt ISO 8601', async () => {
      const run = await runCli(['--json', 'services'], { env });
      assert.equal(run.code, 0, run.stderr);
      const { services } = JSON.parse(run.stdout) as {
        services: {
          name: string;
          instances: { id: string; target: string; health: string; registeredAt?: string }[];
        }[];
      };
      const inventory = services.find((service) => service.name === 'inventory')!;
      assert.deepEqual(
        inventory.instances.map((instance) => instance.id),
        cluster.inventories.map((each) => each.id).sort(),
      );
      for (const instance of inventory.instances) {
        assert.equal(instance.health, 'passing');
        assert.ok(instance.registeredAt && !Number.isNaN(Date.parse(instance.registeredAt)));
      }
    });
  });

  describe('leader', () => {
    it('the leader of group inventory (one of the inventories), its epoch and since when', async () => {
      // the inventories campaign under their registered instance ids
      const ids = cluster.inventories.map((inventory) => inventory.id);
      const run = await waitFor(
        async () => {
          const attempt = await runCli(['leader', 'inventory'], { env });
          return /^inventory\s+(?!-\s)\S+\s+\d+/m.test(attempt.stdout) ? attempt : undefined;
        },
        { timeoutMs: 60_000, description: 'a leader of group inventory' },
      );
      assert.equal(run.code, 0, run.stderr);
      const [header, row] = run.stdout.trim().split('\n');
      assert.match(header, /^GROUP\s+LEADER\s+EPOCH\s+SINCE\s+FOR\s+LAST EPOCH$/);
      const [group, leader, epoch] = row.split(/\s+/);
      assert.equal(group, 'inventory');
      assert.ok(ids.includes(leader), `${leader} is none of the inventories (${ids.join(', ')})`);
      assert.match(epoch, /^\d+$/);

      const json = await runCli(['--json', 'leader', 'inventory'], { env });
      const state = JSON.parse(json.stdout) as {
        group: string;
        leader: { candidateId: string; epoch: string; since?: string };
        lastEpoch: string;
      };
      assert.equal(state.group, 'inventory');
      assert.equal(typeof state.leader.epoch, 'string', 'an epoch (bigint) is a string');
      assert.ok(BigInt(state.lastEpoch) >= BigInt(state.leader.epoch));
      if (state.leader.since !== undefined) assert.ok(!Number.isNaN(Date.parse(state.leader.since)));
    });

    it('every group the backend knows when none is named', async () => {
      const run = await runCli(['--json', 'leader'], { env });
      assert.equal(run.code, 0, run.stderr);
      const { groups } = JSON.parse(run.stdout) as { groups: { group: string }[] };
      assert.ok(groups.some((state) => state.group === 'inventory'));
    });

    it('an unknown group: exit 7, naming the known ones', async () => {
      const run = await runCli(['leader', 'no-such-group'], { env });
      assert.equal(run.code, 7);
      assert.match(
        run.stderr,
        /^nestmesh: no election group "no-such-group" is known to the backend; known: .*inventory/,
      );
    });

    it('an unreachable election backend: exit 4, password hidden', async () => {
      const run = await runCli(
        ['--election', `redis://admin:hunter2@127.0.0.1:${await freePort()}`, 'leader', 'inventory'],
        {},
      );
      assert.equal(run.code, 4, run.stderr);
      assert.doesNotMatch(run.stdout + run.stderr, /hunter2/);
    });
  });

  describe('locks', () => {
    it('the locks held now under a prefix: key, owner, fencing token, lease left', async () => {
      const run = await runCli(['locks', 'cli-test:'], { env });
      assert.equal(run.code, 0, run.stderr);
      const [header, row, ...rest] = run.stdout.trim().split('\n');
      assert.match(header, /^KEY\s+OWNER\s+FENCING TOKEN\s+REMAINING$/);
      assert.deepEqual(rest, [], 'only the prefix');
      const [key, , token, remaining] = row.split(/\s+/);
      assert.equal(key, 'cli-test:held');
      assert.equal(token, String(held.token));
      assert.match(remaining, /^\d+(\.\d)?s$|^\d+m\d\ds$/);
    });

    it('--json: the fencing token as a string, remainingMs within the TTL', async () => {
      const run = await runCli(['--json', 'locks', 'cli-test:'], { env });
      const { prefix, locks } = JSON.parse(run.stdout) as {
        prefix: string;
        locks: { key: string; fencingToken: string; remainingMs: number }[];
      };
      assert.equal(prefix, 'cli-test:');
      assert.deepEqual(
        locks.map((lock) => [lock.key, lock.fencingToken]),
        [['cli-test:held', String(held.token)]],
      );
      assert.ok(locks[0].remainingMs > 0 && locks[0].remainingMs <= 60_000);
    });

    it('none held under a prefix: only the header', async () => {
      const run = await runCli(['locks', 'nothing-here:'], { env });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.trim().split('\n').length, 1);
    });

    it('an unreachable Redis: exit 4, password hidden', async () => {
      const run = await runCli(
        ['--redis', `redis://admin:hunter2@127.0.0.1:${await freePort()}`, 'locks'],
        {},
      );
      assert.equal(run.code, 4, run.stderr);
      assert.doesNotMatch(run.stdout + run.stderr, /hunter2/);
    });
  });

  it('--help on services, leader and locks', async () => {
    for (const command of ['services', 'leader', 'locks']) {
      const run = await runCli([command, '--help']);
      assert.equal(run.code, 0);
      assert.match(run.stdout, new RegExp(`^Usage: nestmesh ${command}`));
    }
  });
});
