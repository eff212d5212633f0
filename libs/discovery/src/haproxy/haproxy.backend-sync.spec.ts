import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:http2';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { waitFor, type HaproxyServer } from '@nestmesh/testing';

import { MemoryRegistry } from '../adapters/memory/memory.registry.js';
import { HAPROXY_SYNC_DEFAULTS } from '../discovery.constants.js';
import { HaproxyBackend } from './haproxy.backend.js';
import { syncHaproxyBackend, type HaproxyBackendSync } from './haproxy.backend-sync.js';
import {
  answersThrough,
  serverNames,
  serversBecome,
  serversOf,
  startEdge,
  startH2cInstance,
  startHttpInstance,
  type HttpInstance,
} from './haproxy.fixture.js';
import type { HaproxySyncOptions } from './haproxy-sync.options.js';
import { HaproxyRuntimeApi } from './haproxy.runtime-api.js';

const COMMAND_TIMEOUT_MS = 2_000;
const DRAIN_POLL_MS = 50;
/** A pass sends a few commands per changed server, each bounded by COMMAND_TIMEOUT_MS. */
const SETTLE_MS = 10 * COMMAND_TIMEOUT_MS;
/** HAProxy's admin-state flag of a server set to drain (`set server … state drain`). */
const FORCED_DRAIN = 0x08;
/** … and of one put in maintenance (`set server … state maint`). */
const FORCED_MAINTENANCE = 0x01;

describe('syncHaproxyBackend (a real haproxy, a memory registry)', { timeout: 120_000 }, () => {
  let haproxy: HaproxyServer;
  let registry: MemoryRegistry;
  const syncs: HaproxyBackendSync[] = [];
  /** What the syncs reported; nothing is expected to fail in these cases. */
  const reported: unknown[] = [];
  const instances: { close(): Promise<unknown> }[] = [];

  const sync = (options: Partial<HaproxySyncOptions> = {}) => {
    const running = syncHaproxyBackend({
      discovery: registry,
      service: 'orders',
      backend: 'orders',
      runtimeApi: haproxy.runtimeApiSocket,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      drainPollIntervalMs: DRAIN_POLL_MS,
      onError: (error) => reported.push(error),
      ...options,
    });
    syncs.push(running);
    return running;
  };
  const instance = async (id: string) => {
    const started = await startHttpInstance(id);
    instances.push(started);
    return started;
  };
  const namesBecome = (expected: string[], backend = 'orders') =>
    serversBecome(haproxy, backend, expected, SETTLE_MS);
  const slowRequest = (through: HttpInstance) => {
    const response = fetch(`http://127.0.0.1:${haproxy.ports.http}/slow`).then(
      async (answer) => ({ status: answer.status, body: await answer.text() }),
      (error: unknown) => ({ status: 0, body: String(error) }),
    );
    return { response, arrived: through.slowArrived() };
  };

  before(async () => {
    haproxy = await startEdge();
  });
  beforeEach(() => {
    registry = MemoryRegistry.named(randomUUID());
  });
  afterEach(async () => {
    await Promise.all(syncs.splice(0).map((running) => running.stop()));
    assert.deepEqual(reported.splice(0), [], 'the sync reported failures');
    for (const name of ['orders', 'inventory']) {
      const backend = new HaproxyBackend(new HaproxyRuntimeApi(haproxy.runtimeApiSocket), name);
      for (const server of await serverNames(haproxy, name)) {
        if (!server.startsWith('mesh-')) continue;
        // As the sync does: shut, then delete once nothing is left on it (HAProxy < 2.9).
        await backend.shut(server);
        await waitFor(async () => !(await backend.sessions()).get(server), { timeoutMs: SETTLE_MS });
        await backend.delete(server);
      }
    }
    await Promise.all(instances.splice(0).map((started) => started.close()));
  });
  after(async () => {
    await haproxy?.stop();
  });

  it('adds a server per instance that joins and deletes the one whose instance leaves; requests reach live instances only', async () => {
    const [a, b] = [await instance('a'), await instance('b')];
    await registry.register(a.instance);
    await registry.register(b.instance);
    sync();
    await namesBecome(['mesh-a', 'mesh-b', 'static-keep']);
    const servers = await serversOf(haproxy, 'orders');
    for (const { instance: registered } of [a, b]) {
      assert.deepEqual(servers.get(`mesh-${registered.id}`), {
        name: `mesh-${registered.id}`,
        address: '127.0.0.1',
        port: registered.port,
        adminState: 0,
        operationalState: 2,
      });
    }
    await waitFor(async () => (await answersThrough(haproxy, 4)).size === 2, { timeoutMs: SETTLE_MS });
    assert.deepEqual(await answersThrough(haproxy, 4), new Set(['a', 'b']));

    // a keeps running: a request reaching it now would be HAProxy still using its server.
    await registry.deregister(a.instance);
    await namesBecome(['mesh-b', 'static-keep']);
    assert.deepEqual(await answersThrough(haproxy, 6), new Set(['b']));
    assert.equal((await serversOf(haproxy, 'orders')).get('static-keep')?.port, 1);
  });

  it('portOf: servers send to the port it reads (an HTTP port in metadata); an instance without one gets none', async () => {
    const [a, b] = [await instance('a'), await instance('b')];
    // Registered on another port (its gRPC side), with its HTTP port in metadata; b has none.
    await registry.register({ ...a.instance, port: 1, metadata: { http_port: String(a.instance.port) } });
    await registry.register({ ...b.instance, port: 1 });
    sync({ portOf: (registered) => Number(registered.metadata['http_port']) || undefined });
    await namesBecome(['mesh-a', 'static-keep']);
    assert.equal((await serversOf(haproxy, 'orders')).get('mesh-a')?.port, a.instance.port);
    await waitFor(async () => (await answersThrough(haproxy, 2)).size === 1, { timeoutMs: SETTLE_MS });
    assert.deepEqual(await answersThrough(haproxy, 4), new Set(['a']));
  });

  it('drains a leaving instance: new requests go elsewhere, the one in flight completes, then the server is deleted', async () => {
    const [a, b] = [await instance('a'), await instance('b')];
    await registry.register(a.instance);
    let clockReads = 0;
    sync({ now: () => (clockReads++, performance.now()) });
    await namesBecome(['mesh-a', 'static-keep']);
    const slow = slowRequest(a);
    await slow.arrived;

    await registry.register(b.instance);
    await registry.deregister(a.instance);
    await waitFor(
      async () => (await serversOf(haproxy, 'orders')).get('mesh-a')?.adminState === FORCED_DRAIN,
      {
        timeoutMs: SETTLE_MS,
      },
    );
    assert.deepEqual(await answersThrough(haproxy, 4), new Set(['b']));
    // The sync reads its clock on every pass that counts a draining server's sessions.
    const readsAtDrain = clockReads;
    await waitFor(() => clockReads >= readsAtDrain + 3, { timeoutMs: SETTLE_MS });
    assert.ok((await serversOf(haproxy, 'orders')).has('mesh-a'), 'deleted with a request in flight');

    a.release();
    assert.deepEqual(await slow.response, { status: 200, body: 'a slow' });
    await namesBecome(['mesh-b', 'static-keep']);
  });

  it('past drainTimeoutMs (on the injected clock) shuts the remaining session and deletes the server', async () => {
    const a = await instance('a');
    await registry.register(a.instance);
    let now = 0;
    let clockReads = 0;
    sync({ now: () => (clockReads++, now), drainTimeoutMs: 60_000 });
    await namesBecome(['mesh-a', 'static-keep']);
    const slow = slowRequest(a);
    await slow.arrived;

    await registry.deregister(a.instance);
    // The first read records when the drain started, the next ones measure it: after two, the
    // sync has seen the session still open at 0 ms.
    await waitFor(() => clockReads >= 2, { timeoutMs: SETTLE_MS, description: 'the drain under way' });
    assert.equal((await serversOf(haproxy, 'orders')).get('mesh-a')?.adminState, FORCED_DRAIN);
    now += 60_000;
    assert.notEqual((await slow.response).body, 'a slow');
    // Shut, in maintenance, and kept until deleteDelayMs has passed on the same clock.
    await waitFor(
      async () => (await serversOf(haproxy, 'orders')).get('mesh-a')?.adminState === FORCED_MAINTENANCE,
      { timeoutMs: SETTLE_MS, description: 'mesh-a in maintenance' },
    );
    const readsAtShut = clockReads;
    await waitFor(() => clockReads >= readsAtShut + 3, { timeoutMs: SETTLE_MS });
    assert.ok((await serversOf(haproxy, 'orders')).has('mesh-a'), 'deleted before deleteDelayMs');
    now += HAPROXY_SYNC_DEFAULTS.deleteDelayMs;
    await namesBecome(['static-keep']);
  });

  it('a restarted sync converges: stale servers removed, a drained one put back, missing ones added', async () => {
    const [a, b, c, stale] = [
      await instance('a'),
      await instance('b'),
      await instance('c'),
      await instance('stale'),
    ];
    await registry.register(a.instance);
    await registry.register(b.instance);
    const first = sync();
    await namesBecome(['mesh-a', 'mesh-b', 'static-keep']);
    await first.stop();

    // While no sync runs: a leaves, c joins, a stray server appears, b is left half-drained.
    await registry.deregister(a.instance);
    await registry.register(c.instance);
    const backend = new HaproxyBackend(new HaproxyRuntimeApi(haproxy.runtimeApiAddress), 'orders');
    await backend.add('mesh-stale', stale.instance, {});
    await backend.drain('mesh-b');

    sync();
    await namesBecome(['mesh-b', 'mesh-c', 'static-keep']); // b ready again, no longer draining
    await waitFor(async () => (await answersThrough(haproxy, 4)).size === 2, { timeoutMs: SETTLE_MS });
    assert.deepEqual(await answersThrough(haproxy, 6), new Set(['b', 'c']));
  });

  it('fills an h2c (gRPC) backend with health-checked proto h2 servers that HTTP/2 requests reach', async () => {
    const x = await startH2cInstance('x');
    instances.push(x);
    await registry.register(x.instance);
    sync({ service: 'inventory', backend: 'inventory', proto: 'h2', check: true });
    await namesBecome(['mesh-x'], 'inventory');

    // The instance speaks HTTP/2 only (no HTTP/1 fallback): an answer proves HAProxy used h2.
    const client = connect(`http://127.0.0.1:${haproxy.ports.grpc}`);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = client.request({ ':path': '/' });
        let text = '';
        stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        stream.once('end', () => resolve(text)).once('error', reject);
      });
      assert.equal(body, 'x');
    } finally {
      client.close();
    }
    await registry.deregister(x.instance);
    await namesBecome([], 'inventory');
  });
});
