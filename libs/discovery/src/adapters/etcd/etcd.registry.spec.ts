import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnOwned, startEtcd, waitFor, type EtcdServer } from '@nestmesh/testing';

import { RegistryUnavailableError } from '../../discovery.errors.js';
import type { ServiceInstance } from '../../service-instance.js';
import { discoveryContract } from '../../testing/discovery.contract.js';
import { within } from '../../testing/until.js';
import { ETCD_MIN_KEEPALIVE_MS, ETCD_REREGISTER_BACKOFF } from './etcd.constants.js';
import { EtcdRegistry } from './etcd.registry.js';

const TTL_SECONDS = 2;
/** Every request's deadline: only an abort or close() can end a watch in half of it. */
const REQUEST_TIMEOUT_MS = 4_000;
/** etcd3 tries a failing request up to 4 times (its default retry policy), each with the deadline. */
const ETCD3_ATTEMPTS = 4;
/** etcd3 stops calling a host for 5 s after 3 failures in a row (its default circuit breaker). */
const ETCD3_BREAKER_MS = 5_000;

/**
 * Registers `instance` from a child process (registrant.fixture.js, which dies with this one);
 * returns its SIGKILL.
 */
async function registerElsewhere(endpoint: string, instance: ServiceInstance): Promise<() => Promise<void>> {
  const child = spawnOwned(
    process.execPath,
    [
      fileURLToPath(new URL('./registrant.fixture.js', import.meta.url)),
      endpoint,
      JSON.stringify(instance),
      String(TTL_SECONDS),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child
      .stdout!.setEncoding('utf8')
      .on('data', (chunk: string) => chunk.includes('registered') && resolve());
    void exited.then(() => reject(new Error('the registrant exited before registering')));
  });
  return async () => {
    child.kill('SIGKILL');
    await exited;
  };
}

const connectTo = (hosts: string[]) =>
  new EtcdRegistry({ hosts, ttlSeconds: TTL_SECONDS, requestTimeoutMs: REQUEST_TIMEOUT_MS });

discoveryContract('etcd (a real etcd process)', async () => {
  const etcd = await startEtcd();
  const backend = connectTo([etcd.endpoint]);
  return {
    backend,
    close: async () => {
      backend.close();
      await etcd.stop();
    },
    url: `${etcd.endpoint.replace('http', 'etcd')}?ttl=${TTL_SECONDS}&timeout=${REQUEST_TIMEOUT_MS}`,
    endsWithinMs: REQUEST_TIMEOUT_MS / 2,
    unresponsive: {
      connect: (hostPort) => connectTo([`http://${hostPort}`]),
      failWithinMs: REQUEST_TIMEOUT_MS * ETCD3_ATTEMPTS + ETCD3_BREAKER_MS,
    },
    crash: {
      registerElsewhere: (instance) => registerElsewhere(etcd.endpoint, instance),
      withinMs: TTL_SECONDS * 1000 + 3000,
    },
    outage: {
      stop: () => etcd.kill(),
      start: () => etcd.start({ wipe: true }),
      failWithinMs: REQUEST_TIMEOUT_MS * ETCD3_ATTEMPTS + ETCD3_BREAKER_MS,
      // The lease is found lost at most 2 TTLs after the last keep-alive; then the breaker and
      // the re-registration spread and backoff; then the etcd start-up itself (waited for by start()).
      recoverWithinMs:
        2 * TTL_SECONDS * 1000 +
        ETCD3_BREAKER_MS +
        (TTL_SECONDS * 1000) / 5 +
        ETCD_REREGISTER_BACKOFF.maxMs +
        REQUEST_TIMEOUT_MS,
    },
  };
});

describe('etcd registry: the watch stream', { timeout: 60_000 }, () => {
  let etcd: EtcdServer;
  before(async () => (etcd = await startEtcd()));
  after(() => etcd?.stop());

  it('etcd stopped while the watch stream is being set up: RegistryUnavailableError, not a silent hang', async () => {
    const registry = connectTo([etcd.endpoint]);
    try {
      const watch = registry.watch(`svc-${randomUUID()}`)[Symbol.asyncIterator]();
      assert.deepEqual((await watch.next()).value, []); // listed; the watcher is attaching now
      await etcd.kill();
      // The broken stream gets one request timeout to resume on another member (there is none
      // here); then the watch fails. Twice that: a loaded machine.
      const next = await within(watch.next(), 2 * REQUEST_TIMEOUT_MS);
      assert.ok(
        next !== 'pending' && 'error' in next && next.error instanceof RegistryUnavailableError,
        `expected RegistryUnavailableError, got ${JSON.stringify(next)}`,
      );
    } finally {
      registry.close();
      await etcd.start();
    }
  });
});

/** A TCP proxy to `port` that can stop passing bytes while keeping every connection open. */
async function freezableProxy(port: number): Promise<{ hostPort: string; freeze(): void; close(): void }> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    if (frozen) client.unpipe().pause();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    hostPort: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    freeze: () => {
      frozen = true;
      for (const socket of sockets) socket.unpipe().pause();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('etcd registry: an etcd that stops answering', { timeout: 60_000 }, () => {
  let etcd: EtcdServer;
  before(async () => (etcd = await startEtcd()));
  after(() => etcd?.stop());

  it('a watch whose etcd stops answering (a partition) throws RegistryUnavailableError after an unanswered keep-alive ping', async () => {
    const keepaliveMs = ETCD_MIN_KEEPALIVE_MS + 1_000;
    const requestTimeoutMs = 2_000;
    const proxy = await freezableProxy(Number(new URL(etcd.endpoint).port));
    const registry = new EtcdRegistry({ hosts: [`http://${proxy.hostPort}`], requestTimeoutMs, keepaliveMs });
    try {
      const service = `svc-${randomUUID()}`;
      const watch = registry.watch(service)[Symbol.asyncIterator]();
      assert.deepEqual((await watch.next()).value, []);
      const writer = connectTo([etcd.endpoint]);
      const one = { id: 'a', name: service, address: '127.0.0.1', port: 1, tags: [], metadata: {} };
      await writer.register(one);
      assert.deepEqual((await watch.next()).value, [one], 'the stream is up');
      writer.close();
      proxy.freeze();
      const limitMs = 2 * (keepaliveMs + requestTimeoutMs);
      const next = await within(watch.next(), limitMs);
      assert.ok(
        next !== 'pending' && 'error' in next && next.error instanceof RegistryUnavailableError,
        `expected RegistryUnavailableError within ${limitMs} ms, got ${JSON.stringify(next)}`,
      );
    } finally {
      registry.close();
      proxy.close();
    }
  });
});

describe('etcd registry: instances that lost their leases together', { timeout: 90_000 }, () => {
  let etcd: EtcdServer;
  before(async () => {
    etcd = await startEtcd();
  });
  after(() => etcd.stop());

  it('register again spread over reregisterSpreadMs, each once (no thundering herd)', async () => {
    const SPREAD_MS = 1_500;
    const COUNT = 20;
    const registry = new EtcdRegistry({
      hosts: [etcd.endpoint],
      ttlSeconds: TTL_SECONDS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      reregisterSpreadMs: SPREAD_MS,
    });
    const reader = connectTo([etcd.endpoint]);
    const name = `herd-${randomUUID().slice(0, 8)}`;
    try {
      const instances = Array.from({ length: COUNT }, (_, index) => ({
        id: `${name}-${index}`,
        name,
        address: '127.0.0.1',
        port: 1000 + index,
        tags: [],
        metadata: {},
      }));
      // Registered together, so their renewals run in step and find the leases gone together.
      await Promise.all(instances.map((instance) => registry.register(instance)));
      await etcd.kill();
      await etcd.start({ wipe: true }); // every lease is gone
      const firstSeen = new Map<string, number>();
      await waitFor(
        async () => {
          const listed = await reader.instances(name).catch(() => []);
          for (const { id } of listed) if (!firstSeen.has(id)) firstSeen.set(id, performance.now());
          return firstSeen.size === COUNT;
        },
        {
          timeoutMs:
            2 * TTL_SECONDS * 1000 +
            ETCD3_BREAKER_MS +
            SPREAD_MS +
            ETCD_REREGISTER_BACKOFF.maxMs +
            4 * REQUEST_TIMEOUT_MS,
          intervalMs: 20,
          description: 'every instance registered again',
        },
      );
      const times = [...firstSeen.values()];
      // 20 uniform draws over 1.5 s span less than a third of it with probability < 1e-7; without
      // the spread they all come back within one 200 ms renewal retry. Load only widens the span.
      assert.ok(
        Math.max(...times) - Math.min(...times) >= SPREAD_MS / 3,
        `re-registrations spanned ${Math.round(Math.max(...times) - Math.min(...times))} ms`,
      );
      assert.equal((await reader.instances(name)).length, COUNT, 'each instance registered once');
    } finally {
      registry.close();
      reader.close();
    }
  });
});
