import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { freePort, startEtcd, type EtcdServer } from '@nestmesh/testing';

import { catalogOf } from '../../catalog.js';
import { createDiscoveryBackend } from '../../discovery-backend.js';
import { RegistryUnavailableError } from '../../discovery.errors.js';
import { until } from '../../testing/until.js';
import { EtcdRegistry } from './etcd.registry.js';

const TTL_SECONDS = 2;
const REQUEST_TIMEOUT_MS = 4_000;

const instanceOf = (name: string, id: string) => ({
  id,
  name,
  address: '127.0.0.1',
  port: 7400,
  tags: ['v1'],
  metadata: { zone: 'a' },
});

describe('etcd catalog (a real etcd process)', { timeout: 60_000 }, () => {
  let etcd: EtcdServer;
  let raw: Etcd3;
  before(async () => {
    etcd = await startEtcd();
    raw = new Etcd3({ hosts: [etcd.endpoint] });
  });
  after(async () => {
    raw?.close();
    await etcd?.stop();
  });
  /** A registry on a prefix of its own, so that services() sees only this test's keys. */
  const isolated = () => {
    const prefix = `/t-${randomUUID()}`;
    const registry = new EtcdRegistry({
      hosts: [etcd.endpoint],
      prefix,
      ttlSeconds: TTL_SECONDS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    return { prefix, registry };
  };

  it('stores registeredAt in the instance value; a re-registration after a lost lease keeps it', async () => {
    const { prefix, registry } = isolated();
    const one = instanceOf('svc', 'a');
    try {
      await registry.register(one);
      const key = `${prefix}/svc/a`;
      const stored = JSON.parse((await raw.get(key).string())!) as { registeredAt: string };
      const [listed] = await registry.catalog('svc');
      assert.equal(listed.registeredAt?.toISOString(), stored.registeredAt);

      // Revoking the lease from outside: the registry finds it lost and registers again.
      const { kvs } = await raw.get(key).exec();
      await raw.leaseClient.leaseRevoke({ ID: kvs[0].lease });
      await until(
        async () =>
          (await raw.get(key).exec()).kvs[0]?.lease !== kvs[0].lease && (await raw.get(key).exists()),
        TTL_SECONDS * 1000 + REQUEST_TIMEOUT_MS,
        'the re-registration',
      );
      const [again] = await registry.catalog('svc');
      assert.equal(again.registeredAt?.toISOString(), stored.registeredAt, 'the same registration');
    } finally {
      await registry.deregister(one);
      registry.close();
    }
  });

  it('a value written before registeredAt is listed without it; what is not an instance is neither listed nor a service', async () => {
    const { prefix, registry } = isolated();
    const older = instanceOf('old', 'o1');
    try {
      await raw.put(`${prefix}/old/o1`).value(JSON.stringify(older));
      await raw.put(`${prefix}/junk/j1`).value('not json');
      await raw.put(`${prefix}/junk/j2`).value('{"owner":"someone else"}');
      assert.deepEqual(await registry.catalog('old'), [{ ...older, health: 'passing' }]);
      assert.deepEqual(await registry.instances('old'), [older], 'the resolver decodes it the same way');
      assert.deepEqual(await registry.catalog('junk'), []);
      assert.deepEqual(await registry.services(), ['old']);
    } finally {
      await raw.delete().prefix(`${prefix}/`);
      registry.close();
    }
  });
});

describe('etcd catalog: an etcd that cannot be reached', { timeout: 60_000 }, () => {
  it('rejects with RegistryUnavailableError, without the password in the message', async () => {
    const port = await freePort();
    const backend = await createDiscoveryBackend({
      url: `etcd://root:hunter2@127.0.0.1:${port}?timeout=500`,
    });
    const catalog = catalogOf(backend);
    try {
      const unavailable = (error: unknown) =>
        error instanceof RegistryUnavailableError && !error.message.includes('hunter2');
      await Promise.all(
        [catalog.services(), catalog.catalog('svc')].map((reading) => assert.rejects(reading, unavailable)),
      );
    } finally {
      await backend.close?.();
    }
  });
});
