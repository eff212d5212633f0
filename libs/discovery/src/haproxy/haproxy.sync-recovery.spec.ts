import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { freePort, startEtcd, waitFor, type HaproxyServer } from '@nestmesh/testing';

import { ConsulRegistry } from '../adapters/consul/consul.registry.js';
import { FakeConsulAgent } from '../adapters/consul/fake-consul-agent.fixture.js';
import { EtcdRegistry } from '../adapters/etcd/etcd.registry.js';
import { MemoryRegistry } from '../adapters/memory/memory.registry.js';
import type { Discovery } from '../discovery.js';
import { HaproxyCommandError, HaproxyUnavailableError } from '../discovery.errors.js';
import { syncHaproxyBackend } from './haproxy.backend-sync.js';
import { answersThrough, serversBecome, startEdge, startHttpInstance } from './haproxy.fixture.js';

const COMMAND_TIMEOUT_MS = 2_000;
const RETRY_BACKOFF = { initialMs: 20, maxMs: 200 };
const RESYNC_MS = 300;
/** A pass sends a few commands per changed server, each bounded by COMMAND_TIMEOUT_MS. */
const SETTLE_MS = 10 * COMMAND_TIMEOUT_MS;

describe(
  'syncHaproxyBackend when HAProxy, the backend or the registry is elsewhere',
  { timeout: 120_000 },
  () => {
    /** Everything a case started, stopped after it whatever happened (in reverse order). */
    const cleanups: (() => unknown)[] = [];
    const reported: { error: unknown; retryInMs: number }[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      reported.splice(0);
    });

    const start = (discovery: Discovery, runtimeApi: string, backend = 'orders') => {
      const running = syncHaproxyBackend({
        discovery,
        service: 'orders',
        backend,
        runtimeApi,
        commandTimeoutMs: COMMAND_TIMEOUT_MS,
        resyncIntervalMs: RESYNC_MS,
        retryBackoff: RETRY_BACKOFF,
        onError: (error, retryInMs) => reported.push({ error, retryInMs }),
      });
      cleanups.push(() => running.stop());
      return running;
    };
    const edge = async () => {
      const haproxy = await startEdge();
      cleanups.push(() => haproxy.stop());
      return haproxy;
    };
    const instance = async (id: string) => {
      const started = await startHttpInstance(id);
      cleanups.push(() => started.close());
      return started;
    };
    const namesBecome = (haproxy: HaproxyServer, expected: string[]) =>
      serversBecome(haproxy, 'orders', expected, SETTLE_MS);

    for (const [kind, address] of [
      [
        'a unix socket nobody listens on',
        () => Promise.resolve(join(tmpdir(), `nestmesh-${randomUUID()}.sock`)),
      ],
      ['a TCP port nobody listens on', async () => `127.0.0.1:${await freePort()}`],
    ] as const) {
      it(`HAProxy unreachable (${kind}): HaproxyUnavailableError reported, retried with backoff, stop() ends it`, async () => {
        const registry = MemoryRegistry.named(randomUUID());
        await registry.register((await instance('a')).instance);
        const running = start(registry, await address());
        await waitFor(() => reported.length >= 3, {
          timeoutMs: SETTLE_MS,
          description: 'three reported failures',
        });
        await running.stop();
        for (const { error, retryInMs } of reported) {
          assert.ok(error instanceof HaproxyUnavailableError, String(error));
          assert.equal(error.code, 'HAPROXY_UNAVAILABLE');
          assert.ok(retryInMs > 0 && retryInMs <= RETRY_BACKOFF.maxMs, `retry in ${retryInMs} ms`);
        }
      });
    }

    it('a backend HAProxy does not have: HaproxyCommandError reported with its answer, and retried', async () => {
      const haproxy = await edge();
      const registry = MemoryRegistry.named(randomUUID());
      await registry.register((await instance('a')).instance);
      start(registry, haproxy.runtimeApiSocket, 'nowhere');
      await waitFor(() => reported.length >= 2, {
        timeoutMs: SETTLE_MS,
        description: 'two reported failures',
      });
      const [{ error }] = reported;
      assert.ok(error instanceof HaproxyCommandError, String(error));
      assert.equal(error.code, 'HAPROXY_COMMAND_FAILED');
      assert.match(
        error.message,
        /^discovery: haproxy refused "show servers state nowhere": Can't find backend/,
      );
    });

    it('HAProxy restarted (its dynamic servers lost): the servers come back on the next resync', async () => {
      const haproxy = await edge();
      const registry = MemoryRegistry.named(randomUUID());
      const [a, b] = [await instance('a'), await instance('b')];
      await registry.register(a.instance);
      await registry.register(b.instance);
      start(registry, haproxy.runtimeApiSocket);
      await namesBecome(haproxy, ['mesh-a', 'mesh-b', 'static-keep']);

      await haproxy.kill();
      await waitFor(() => reported.some(({ error }) => error instanceof HaproxyUnavailableError), {
        timeoutMs: RESYNC_MS + SETTLE_MS,
        description: 'the outage reported',
      });
      await haproxy.start();
      await namesBecome(haproxy, ['mesh-a', 'mesh-b', 'static-keep']);
      await waitFor(async () => (await answersThrough(haproxy, 4)).size === 2, { timeoutMs: SETTLE_MS });
      assert.deepEqual(await answersThrough(haproxy, 4), new Set(['a', 'b']));
    });

    it('follows a real etcd (EtcdRegistry): a registered instance gets a server, a deregistered one loses it', async () => {
      const [haproxy, etcd] = [await edge(), await startEtcd()];
      cleanups.push(() => etcd.stop());
      const registry = new EtcdRegistry({ hosts: [etcd.endpoint], ttlSeconds: 5, requestTimeoutMs: 4_000 });
      cleanups.push(() => registry.close());
      const a = await instance('a');
      await registry.register(a.instance);
      start(registry, haproxy.runtimeApiAddress);
      await namesBecome(haproxy, ['mesh-a', 'static-keep']);
      assert.deepEqual(await answersThrough(haproxy, 2), new Set(['a']));

      await registry.deregister(a.instance);
      await namesBecome(haproxy, ['static-keep']);
      assert.deepEqual(reported, []);
    });

    // Consul cannot run on our machines: the stand-in agent answers with Consul's documented API
    // (as in consul.registry.spec.ts), or a real agent when CONSUL_HTTP_ADDR names one.
    it('follows Consul (ConsulRegistry): a registered instance gets a server, a deregistered one loses it', async () => {
      const haproxy = await edge();
      let host = process.env.CONSUL_HTTP_ADDR?.replace(/^https?:\/\//, '');
      if (!host) {
        const agent = new FakeConsulAgent();
        host = await agent.start();
        cleanups.push(() => agent.stop());
      }
      // A TTL check: the instance is an HTTP server, which Consul's gRPC check would find critical.
      const registry = new ConsulRegistry({ host, check: 'ttl' });
      cleanups.push(() => registry.close());
      const a = await instance(`a-${randomUUID()}`);
      await registry.register(a.instance);
      start(registry, haproxy.runtimeApiSocket);
      await namesBecome(haproxy, [`mesh-${a.instance.id}`, 'static-keep']);
      assert.deepEqual(await answersThrough(haproxy, 2), new Set([a.instance.id]));

      await registry.deregister(a.instance);
      await namesBecome(haproxy, ['static-keep']);
      assert.deepEqual(reported, []);
    });
  },
);
