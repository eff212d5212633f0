import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { status as Status, type Client } from '@grpc/grpc-js';
import type { INestApplicationContext } from '@nestjs/common';
import { HealthService, HealthCheckResponse_ServingStatus } from '@nestmesh/contracts/grpc/health/v1';
import { InventoryServiceService } from '@nestmesh/contracts/inventory/v1';
import { ATTR_RPC_STATUS_CODE } from '@nestmesh/telemetry';
import { captureTelemetry } from '@nestmesh/telemetry/testing';
import { waitFor } from '@nestmesh/testing';

import { createMeshClient } from '../../client/typed-client.js';
import { InvalidGrpcOptionsError } from '../../grpc.errors.js';
import { callFailure, startFixtureApp } from '../../test-fixtures/fixture-app.js';
import { rawClient } from '../../test-fixtures/raw-clients.js';
import {
  CountingGuard,
  CountingInterceptor,
  SheddingController,
  SheddingProbe,
} from '../../test-fixtures/shedding-fixture.js';
import { MeshGrpcServer } from '../mesh-grpc.server.js';
import { RETRY_PUSHBACK_KEY } from '../../status/retry-pushback.js';
import { ATTR_NESTMESH_SHED_REASON, METRIC_NESTMESH_SERVER_SHED } from './load-shedder.js';
import type { SheddingOptions } from './shedding.options.js';

const telemetry = captureTelemetry({ serviceName: 'load-shedding-spec' });
const GET_STOCK = 'inventory.v1.InventoryService/GetStock';

describe('load shedding on a real server', { timeout: 120_000 }, () => {
  const apps: INestApplicationContext[] = [];
  const channels: Client[] = [];
  after(async () => {
    for (const channel of channels.splice(0)) channel.close();
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await telemetry.stop();
  });

  /** The shedding fixture served with `shedding`, and plain clients (no retry policy) to it. */
  async function start(probe: SheddingProbe, shedding: SheddingOptions | false) {
    const { app } = await startFixtureApp({
      controller: SheddingController,
      providers: [{ provide: SheddingProbe, useValue: probe }, CountingGuard, CountingInterceptor],
      server: { shedding },
    });
    apps.push(app);
    const port = app.get(MeshGrpcServer).port;
    const [inventoryChannel, healthChannel] = [rawClient(port), rawClient(port)];
    channels.push(inventoryChannel, healthChannel);
    const defaults = { timeoutMs: 60_000, streamTimeoutMs: 0 };
    return {
      client: createMeshClient(InventoryServiceService, inventoryChannel, defaults),
      health: createMeshClient(HealthService, healthChannel, defaults),
    };
  }

  /** What ran so far: the guard, the interceptor and the handler count each call they saw. */
  const ran = (probe: SheddingProbe) => [probe.guarded, probe.intercepted, probe.handled];

  const shedCount = (reason: string) =>
    telemetry.sum(METRIC_NESTMESH_SERVER_SHED, { [ATTR_NESTMESH_SHED_REASON]: reason });

  it('refuses the call beyond maxConcurrentCalls at once, RESOURCE_EXHAUSTED, while the accepted ones complete', async () => {
    const probe = new SheddingProbe();
    const { client, health } = await start(probe, { maxConcurrentCalls: 2, deadlineCheck: false });
    const watching = new AbortController();
    const watch = client.watchStock({ skus: ['a'] }, { signal: watching.signal })[Symbol.asyncIterator]();
    await watch.next();
    const held = [client.getStock({ sku: 'hold' }), client.getStock({ sku: 'hold' })];
    await waitFor(() => probe.held === 2, { description: 'two calls held (the open stream is not counted)' });
    const before = ran(probe);

    const refused = await callFailure(client.getStock({ sku: 'now' }));
    assert.equal(refused.status, Status.RESOURCE_EXHAUSTED, refused.message);
    assert.match(refused.details, /^shed: 2 calls in flight, the server's limit \(maxConcurrentCalls\)$/);
    assert.equal(probe.held, 2, 'refused while both accepted calls were still held');
    assert.deepEqual(ran(probe), before, 'neither the guard, the interceptor nor the handler ran for it');

    await client.reserveStock({ orderId: 'o-1', sku: 'a', quantity: 1n });
    assert.equal(probe.handled, before[2] + 1, 'a @NoShedding() method is served at the limit');
    const { status } = await health.check({ service: '' });
    assert.equal(status, HealthCheckResponse_ServingStatus.SERVING, 'health is served at the limit');

    probe.release();
    for (const response of await Promise.all(held)) assert.equal(response.stock?.sku, 'hold');
    assert.equal((await client.getStock({ sku: 'now' })).stock?.sku, 'now', 'the slots are free again');
    watching.abort();
    await watch.return?.();

    const shedSpans = telemetry
      .spans()
      .filter(
        (span) => span.name === GET_STOCK && span.attributes[ATTR_RPC_STATUS_CODE] === 'RESOURCE_EXHAUSTED',
      );
    assert.equal(shedSpans.length, 1, 'the shed call has its server span, with its status');
    assert.equal(await shedCount('concurrency'), 1);
  });

  it('sheds UNAVAILABLE with a pushback once the loop is saturated and the BBR limit is reached', async () => {
    const probe = new SheddingProbe();
    const load = { value: 0 };
    const { client, health } = await start(probe, {
      deadlineCheck: false,
      clock: probe.clock,
      adaptive: {
        eventLoop: { utilization: () => load.value },
        windowMs: 10_000,
        buckets: 100,
        pushbackMs: 25,
      },
    });
    // Learn a limit of 2: ten calls that each took 20 ms ended in one 100 ms bucket.
    const learning = Array.from({ length: 10 }, () => client.getStock({ sku: 'hold' }));
    await waitFor(() => probe.held === 10, { description: 'ten calls held (an idle loop sheds nothing)' });
    probe.clock.nowMs += 20;
    probe.release();
    await Promise.all(learning);
    probe.clock.nowMs += 100;

    load.value = 1;
    const accepted = [client.getStock({ sku: 'hold' }), client.getStock({ sku: 'hold' })];
    await waitFor(() => probe.held === 2, { description: 'two calls held: the limit' });
    const before = ran(probe);
    const refused = await callFailure(client.getStock({ sku: 'now' }));
    assert.equal(refused.status, Status.UNAVAILABLE, refused.message);
    assert.match(
      refused.details,
      /^shed: server overloaded \(event loop 100 % busy, 2 calls in flight, limit 2\)/,
    );
    assert.deepEqual(refused.metadata.get(RETRY_PUSHBACK_KEY), ['25'], 'grpc-js retries after the pushback');
    assert.deepEqual(ran(probe), before, 'nothing of the handler ran for it');
    const { status } = await health.check({ service: '' });
    assert.equal(status, HealthCheckResponse_ServingStatus.SERVING, 'health is never shed');

    probe.release();
    for (const response of await Promise.all(accepted)) assert.equal(response.stock?.sku, 'hold');
    const below = await client.getStock({ sku: 'now' });
    assert.equal(below.stock?.sku, 'now', 'below the limit a call is served, saturated or not');
    assert.equal(await shedCount('overload'), 1);
  });

  it("refuses DEADLINE_EXCEEDED on arrival a call whose deadline is shorter than its method's usual latency", async () => {
    const probe = new SheddingProbe();
    const { client } = await start(probe, { clock: probe.clock, deadlineCheck: { minSamples: 5 } });
    // Each call takes 60 s by the shedding clock; a 30 s deadline is let in until 5 have ended.
    for (let call = 0; call < 5; call++) {
      const response = await client.getStock({ sku: 'took:60000' }, { timeoutMs: 30_000 });
      assert.equal(response.stock?.sku, 'took:60000');
    }
    const before = ran(probe);
    const refused = await callFailure(client.getStock({ sku: 'took:60000' }, { timeoutMs: 30_000 }));
    assert.equal(refused.status, Status.DEADLINE_EXCEEDED, refused.message);
    assert.match(
      refused.details,
      /^shed: \d+ ms of deadline left on arrival, less than the 60000 ms inventory\.v1\.InventoryService\/GetStock usually takes$/,
    );
    assert.deepEqual(ran(probe), before, 'nothing of the handler ran for it');
    const long = await client.getStock({ sku: 'took:60000' }, { timeoutMs: 120_000 });
    assert.equal(long.stock?.sku, 'took:60000', 'a deadline longer than the usual latency is served');
    assert.equal(await shedCount('deadline'), 1);
  });

  it('with countStreams, refuses a stream beyond the limit and frees its slot when it is cancelled', async () => {
    const probe = new SheddingProbe();
    const { client } = await start(probe, { maxConcurrentCalls: 1, countStreams: true });
    const first = new AbortController();
    const open = client.watchStock({ skus: ['a'] }, { signal: first.signal })[Symbol.asyncIterator]();
    await open.next();
    const handled = probe.handled;
    const refused = await callFailure(
      client
        .watchStock({ skus: ['b'] })
        [Symbol.asyncIterator]()
        .next(),
    );
    assert.equal(refused.status, Status.RESOURCE_EXHAUSTED, refused.message);
    assert.equal(probe.handled, handled, 'the refused stream never reached its handler');

    first.abort();
    await open.return?.();
    // The server sees the cancel a moment later: until then a new stream is still refused.
    await waitFor(
      async () => {
        const next = new AbortController();
        const stream = client.watchStock({ skus: ['c'] }, { signal: next.signal })[Symbol.asyncIterator]();
        const accepted = await stream.next().then(
          () => true,
          () => false,
        );
        next.abort();
        await stream.return?.();
        return accepted;
      },
      { description: 'a stream accepted once the first is cancelled' },
    );
  });

  it('refuses invalid shedding options at startup, naming the option', async () => {
    await assert.rejects(
      start(new SheddingProbe(), { maxConcurrentCalls: 0 }),
      (error: unknown) =>
        error instanceof InvalidGrpcOptionsError && error.option === 'shedding.maxConcurrentCalls',
    );
  });
});
