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
  startWorkers,
  waitFor,
  type AppProcess,
  type EtcdServer,
} from '@nestmesh/testing';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const WORKERS = 8;
const TTL_SECONDS = 2;
// A liveness bound for a loaded machine, not a claim about speed.
const PROGRESS_TIMEOUT_MS = 60_000;

interface CallRecord {
  startedAt: number;
  endedAt: number;
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

  const startInventory = async (env: Record<string, string> = {}) => {
    const app = await startAppProcess(join(root, 'apps/inventory/dist/main.js'), {
      env: { DISCOVERY_URL: url, NESTMESH_QUIET: '1', ...env },
      readyPattern: /inventory ready grpc=(\S+) id=(\S+)/,
    });
    inventories.push(app);
    return { app, id: app.ready[2] };
  };

  /** Calls GetStock from WORKERS loops until `stop()` or the end of the test; records every call. */
  const load = (signal: AbortSignal) => {
    const calls: CallRecord[] = [];
    const workers = startWorkers(
      WORKERS,
      async (roundSignal) => {
        const record: CallRecord = { startedAt: performance.now(), endedAt: Number.POSITIVE_INFINITY };
        calls.push(record);
        try {
          record.servedBy = (await client.getStock({ sku: 'A-1' }, { signal: roundSignal })).servedBy;
        } catch (error) {
          if (!roundSignal.aborted) record.error = String(error);
        }
        record.endedAt = performance.now();
      },
      { signal },
    );
    return { calls, stop: () => workers.stop() };
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
    try {
      await caller?.close();
    } finally {
      await Promise.allSettled(inventories.map((app) => app.stop('SIGKILL')));
      await etcd?.stop();
    }
  });

  it('SIGKILL: only the calls in flight when the caller sees the connection drop fail, none after; the lease then expires', async (t) => {
    const victim = inventories[0];
    const victimId = victim.ready[2];
    const waiting = { timeoutMs: PROGRESS_TIMEOUT_MS, signal: t.signal };
    const { calls, stop } = load(t.signal);
    let killedAt = Number.POSITIVE_INFINITY;
    try {
      await waitFor(() => calls.filter((call) => call.servedBy === victimId).length >= 20, {
        ...waiting,
        description: 'traffic on the victim',
      });
      await victim.stop('SIGKILL');
      killedAt = performance.now();
      await waitFor(async () => !(await discovery.instances('inventory')).some((i) => i.id === victimId), {
        timeoutMs: TTL_SECONDS * 1000 + 5000,
        signal: t.signal,
        description: 'the lease of the killed instance to expire',
      });
      const expiredAt = performance.now();
      await waitFor(() => calls.filter((call) => call.startedAt > expiredAt && call.servedBy).length >= 200, {
        ...waiting,
        description: '200 calls after the expiry',
      });
    } finally {
      await stop();
    }

    // The failed calls were all in flight at one moment (when the connection dropped): none
    // started after another had already failed, so no call failed once the client knew.
    const failed = calls.filter((call) => call.error);
    t.diagnostic(`${failed.length} of ${calls.length} calls failed`);
    const lastFailedStart = Math.max(...failed.map((call) => call.startedAt));
    const firstFailedEnd = Math.min(...failed.map((call) => call.endedAt));
    assert.ok(
      lastFailedStart <= firstFailedEnd,
      `a call started ${Math.round(lastFailedStart - firstFailedEnd)} ms after another had failed, and failed too: ` +
        failed.map((call) => call.error).join('; '),
    );
    for (const { error } of failed) assert.match(error!, /UNAVAILABLE|CANCELLED/, 'a connection error');
    assert.ok(
      !calls.some((call) => call.startedAt > killedAt && call.servedBy === victimId),
      'the dead instance served nothing after the kill',
    );
  });

  it('a new inventory process receives calls as soon as it registers (the watch, not a poll)', async (t) => {
    const { id } = await startInventory();
    const readyAt = performance.now();
    // Only a watch event tells the caller about it (the caller never polls), so a missed event
    // fails this at any bound; the bound leaves room for a loaded machine. Tens of ms when quiet.
    await waitFor(async () => (await client.getStock({ sku: 'A-1' })).servedBy === id, {
      timeoutMs: 5000,
      intervalMs: 1,
      signal: t.signal,
      description: 'a call routed to the new instance',
    });
    t.diagnostic(
      `first call routed to it ${Math.round(performance.now() - readyAt)} ms after its ready line`,
    );
  });

  it('SIGTERM: the instance deregisters and drains, and no call fails', async (t) => {
    const leaving = inventories[1];
    const leavingId = leaving.ready[2];
    const waiting = { timeoutMs: PROGRESS_TIMEOUT_MS, signal: t.signal };
    const { calls, stop } = load(t.signal);
    let exit: number | string;
    try {
      await waitFor(() => calls.filter((call) => call.servedBy === leavingId).length >= 20, {
        ...waiting,
        description: 'traffic on the instance',
      });
      exit = await leaving.stop('SIGTERM');
      const goneAt = performance.now();
      await waitFor(() => calls.filter((call) => call.startedAt > goneAt && call.servedBy).length >= 200, {
        ...waiting,
        description: '200 calls after it left',
      });
    } finally {
      await stop();
    }
    assert.deepEqual(
      calls.filter((call) => call.error).map((call) => call.error),
      [],
      'no call failed',
    );
    assert.ok(!(await discovery.instances('inventory')).some((i) => i.id === leavingId), 'deregistered');
    assert.ok([0, 'SIGTERM', 143].includes(exit), `exited cleanly (${exit})`);
  });

  // A container's binding: listen on every interface, register the name others dial. Here the
  // advertised address is 127.0.0.2 (loopback, but not the address a default app registers).
  it('HOST=0.0.0.0 with ADVERTISE_HOST: it listens everywhere and registers the advertised address, which callers dial', async (t) => {
    const { app, id } = await startInventory({ HOST: '0.0.0.0', ADVERTISE_HOST: '127.0.0.2' });
    const [address, port] = app.ready[1].split(':');
    assert.equal(address, '127.0.0.2');
    const registered = (await discovery.instances('inventory')).find((instance) => instance.id === id);
    assert.deepEqual([registered?.address, registered?.port], ['127.0.0.2', Number(port)]);
    await waitFor(async () => (await client.getStock({ sku: 'A-1' })).servedBy === id, {
      timeoutMs: 10_000,
      intervalMs: 1,
      signal: t.signal,
      description: 'a call routed to the advertised address',
    });
  });

  it('an ADVERTISE_HOST that is not a host stops the app at start, naming the variable', async () => {
    await assert.rejects(
      startInventory({ ADVERTISE_HOST: 'inventory-2:50051' }),
      /exited \(1\) before it was ready:[\s\S]*option "ADVERTISE_HOST" must be a host name or an IP address/,
    );
  });
});
