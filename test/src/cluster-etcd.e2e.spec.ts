import assert from 'node:assert/strict';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { Discovery, DiscoveryModule } from '@nestmesh/discovery';
import { MeshClientModule, meshClientToken, type MeshClient } from '@nestmesh/grpc';
import {
  startAppProcess,
  startContext,
  startEtcd,
  waitFor,
  type AppProcess,
  type EtcdServer,
} from '@nestmesh/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORKERS = 8;
const TTL_SECONDS = 2;

interface CallRecord {
  startedAt: number;
  servedBy?: string;
  error?: string;
}

describe('inventory processes on etcd: crash, join, leave', () => {
  let etcd: EtcdServer;
  let url: string;
  const inventories: AppProcess[] = [];
  let caller: INestApplicationContext;
  let client: MeshClient<typeof InventoryServiceService>;
  let discovery: Discovery;

  const startInventory = async () => {
    const app = await startAppProcess(join(root, 'apps/inventory/dist/main.js'), {
      env: { DISCOVERY_URL: url, NESTMESH_QUIET: '1' },
      readyPattern: /inventory ready grpc=(\S+) id=(\S+)/,
    });
    inventories.push(app);
    return { app, id: app.ready[2]! };
  };

  /** Calls GetStock from WORKERS loops until `until` resolves; returns every call. */
  const load = (until: Promise<unknown>) => {
    const calls: CallRecord[] = [];
    let running = true;
    void until.then(() => (running = false));
    const worker = async () => {
      while (running) {
        const record: CallRecord = { startedAt: performance.now() };
        calls.push(record);
        try {
          record.servedBy = (await client.getStock({ sku: 'A-1' })).servedBy;
        } catch (error) {
          record.error = String(error);
        }
      }
    };
    return { calls, done: Promise.all(Array.from({ length: WORKERS }, worker)) };
  };

  before(async () => {
    etcd = await startEtcd();
    url = `etcd://${etcd.endpoint.replace('http://', '')}?ttl=${TTL_SECONDS}`;
    for (let index = 0; index < 3; index++) await startInventory();
    @Module({
      imports: [
        DiscoveryModule.forRoot({ url }),
        MeshClientModule.register({
          service: 'inventory',
          definition: InventoryServiceService,
          timeoutMs: 3000,
        }),
      ],
    })
    class Caller {}
    caller = await startContext(Caller);
    client = caller.get(meshClientToken(InventoryServiceService));
    discovery = caller.get(Discovery);
  });

  after(async () => {
    await caller?.close();
    await Promise.all(inventories.map((app) => app.stop('SIGKILL')));
    await etcd?.stop();
  });

  it('SIGKILL: only calls in flight on the dead instance fail, none after; its lease then expires', async () => {
    const victim = inventories[0]!;
    const victimId = victim.ready[2]!;
    let killedAt = Number.POSITIVE_INFINITY;
    let stop!: () => void;
    const { calls, done } = load(new Promise<void>((resolve) => (stop = resolve)));
    await waitFor(() => calls.filter((call) => call.servedBy === victimId).length >= 20, {
      description: 'traffic on the victim',
    });
    await victim.stop('SIGKILL');
    killedAt = performance.now();
    await waitFor(async () => !(await discovery.instances('inventory')).some((i) => i.id === victimId), {
      timeoutMs: TTL_SECONDS * 1000 + 5000,
      description: 'the lease of the killed instance to expire',
    });
    const expiredAt = performance.now();
    await waitFor(() => calls.filter((call) => call.startedAt > expiredAt && call.servedBy).length >= 200, {
      description: '200 calls after the expiry',
    });
    stop();
    await done;

    const failed = calls.filter((call) => call.error);
    assert.ok(
      failed.length <= WORKERS,
      `at most one in-flight call per worker fails, got ${failed.length}: ${failed[0]?.error}`,
    );
    for (const call of failed) {
      assert.ok(
        call.startedAt < killedAt + 50,
        `a call started ${Math.round(call.startedAt - killedAt)} ms after the kill failed: ${call.error}`,
      );
    }
    assert.ok(
      !calls.some((call) => call.startedAt > killedAt && call.servedBy === victimId),
      'the dead instance served nothing after the kill',
    );
  });

  it('a new inventory process receives calls within 1 s of becoming ready', async (t) => {
    const { id } = await startInventory();
    const readyAt = performance.now();
    await waitFor(async () => (await client.getStock({ sku: 'A-1' })).servedBy === id, {
      timeoutMs: 1000,
      intervalMs: 1,
      description: 'a call routed to the new instance',
    });
    const elapsedMs = performance.now() - readyAt;
    t.diagnostic(`first call routed to it ${Math.round(elapsedMs)} ms after its ready line`);
    assert.ok(elapsedMs < 1000);
  });

  it('SIGTERM: the instance deregisters and drains, and no call fails', async () => {
    const leaving = inventories[1]!;
    const leavingId = leaving.ready[2]!;
    let stop!: () => void;
    const { calls, done } = load(new Promise<void>((resolve) => (stop = resolve)));
    await waitFor(() => calls.filter((call) => call.servedBy === leavingId).length >= 20, {
      description: 'traffic on the instance',
    });
    const exit = await leaving.stop('SIGTERM');
    const goneAt = performance.now();
    await waitFor(() => calls.filter((call) => call.startedAt > goneAt && call.servedBy).length >= 200, {
      description: '200 calls after it left',
    });
    stop();
    await done;
    assert.deepEqual(
      calls.filter((call) => call.error).map((call) => call.error),
      [],
      'no call failed',
    );
    assert.ok(!(await discovery.instances('inventory')).some((i) => i.id === leavingId), 'deregistered');
    assert.ok([0, 'SIGTERM', 143].includes(exit), `exited cleanly (${exit})`);
  });
});
