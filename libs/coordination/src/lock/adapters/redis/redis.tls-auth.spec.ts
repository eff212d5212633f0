import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackendAuthError, BackendTlsFileError } from '@nestmesh/common';
import { createTestCa, startRedis, type RedisServer, type TestCa } from '@nestmesh/testing';

import { createElectionInspector } from '../../../election/election-inspector.js';
import { createLeaderElection } from '../../../election/leader-election.factory.js';
import { LockService } from '../../lock.service.js';
import { LockUnavailableError } from '../../../coordination.errors.js';
import { lockBackends } from '../../lock-backend.factory.js';
import { createLockInspector } from '../../lock-inspector.js';

const PASSWORD = 'p@ss:w0rd/1';
const WRONG = 'wr0ng-s3cret';

/** Everything written to stdout and stderr (a logger, ioredis' console warnings) while `run` runs. */
async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  let output = '';
  const writes = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    stream.write = (chunk: string | Uint8Array, ...rest: never[]) => {
      output += String(chunk);
      return write(chunk, ...rest);
    };
    return () => void (stream.write = write);
  });
  try {
    return { result: await run(), output };
  } finally {
    for (const restore of writes) restore();
  }
}

/** A BackendAuthError naming redis and the redacted URL; neither password in its message. */
function refusedCredentials(error: unknown): boolean {
  assert.ok(error instanceof BackendAuthError, String(error));
  assert.equal(error.code, 'BACKEND_AUTH');
  assert.equal(error.backend, 'redis');
  assert.match(
    error.message,
    /^redis rediss:\/\/(app:\*\*\*@)?127\.0\.0\.1:\d+\S*: authentication failed \((WRONGPASS|NOAUTH)/,
  );
  for (const secret of [PASSWORD, WRONG, encodeURIComponent(PASSWORD)])
    assert.ok(!error.message.includes(secret), error.message);
  return true;
}

describe('rediss:// with an ACL user: locks, election and inspectors over TLS', { timeout: 90_000 }, () => {
  let ca: TestCa;
  let redis: RedisServer;
  let wrongUrl: string;

  before(async () => {
    ca = await createTestCa();
    redis = await startRedis({ user: 'app', password: PASSWORD, tls: { ca } });
    wrongUrl = redis.url.replace(encodeURIComponent(PASSWORD), WRONG);
  });
  after(async () => {
    await redis?.stop();
    await ca?.close();
  });

  it('locks: acquire, extend and release; the lock inspector lists the holder', async (t) => {
    assert.match(redis.url, /^rediss:\/\/app:.+@127\.0\.0\.1:\d+\?ca=/);
    const backend = await lockBackends.create(redis.url, {});
    const inspector = await createLockInspector(redis.url);
    t.after(() => Promise.all([backend.close?.(), inspector.close()]));
    const locks = new LockService(backend);
    await locks.using('sku:A', async () => {
      const held = await inspector.heldLocks('sku:');
      assert.deepEqual(
        held.map((lock) => lock.key),
        ['sku:A'],
      );
    });
    assert.deepEqual(await inspector.heldLocks('sku:'), []);
  });

  it('election: a campaign wins, leader() and the election inspector name it', async (t) => {
    const election = await createLeaderElection({ group: 'tls-group', url: redis.url });
    const inspector = await createElectionInspector(redis.url);
    t.after(() => Promise.all([election.close(), inspector.close()]));
    const leadership = await election.campaign('c1', { signal: AbortSignal.timeout(30_000) });
    assert.equal((await election.leader())?.candidateId, 'c1');
    const state = await inspector.group('tls-group');
    assert.equal(state?.leader?.candidateId, 'c1');
    assert.equal(state?.leader?.epoch, leadership.epoch);
    await leadership.resign();
  });

  it('a wrong password: BackendAuthError naming redis at startup, for locks, election and inspectors; nothing printed holds a password', async () => {
    const { output } = await captureOutput(async () => {
      await assert.rejects(lockBackends.create(wrongUrl, {}), refusedCredentials);
      await assert.rejects(createLeaderElection({ group: 'g', url: wrongUrl }), refusedCredentials);
      const locks = await createLockInspector(wrongUrl);
      const elections = await createElectionInspector(wrongUrl);
      try {
        await assert.rejects(locks.heldLocks(), refusedCredentials);
        await assert.rejects(elections.groups(), refusedCredentials);
      } finally {
        await Promise.all([locks.close(), elections.close()]);
      }
    });
    for (const secret of [PASSWORD, WRONG, encodeURIComponent(PASSWORD)]) assert.ok(!output.includes(secret));
  });

  it('no credentials where Redis needs them: BackendAuthError (NOAUTH)', async () => {
    const anonymous = redis.url.replace(/app:[^@]*@/, '');
    await assert.rejects(lockBackends.create(anonymous, {}), refusedCredentials);
  });

  it('an unreadable ?ca= file: BackendTlsFileError naming the parameter and the file, at startup', async () => {
    const missing = join(ca.dir, 'missing.crt');
    const url = redis.url.replace(/\?ca=[^&]*/, `?ca=${missing}`);
    for (const create of [
      () => lockBackends.create(url, {}),
      () => createLeaderElection({ group: 'g', url }),
    ]) {
      await assert.rejects(create(), (error: unknown) => {
        assert.ok(error instanceof BackendTlsFileError, String(error));
        assert.match(error.message, new RegExp(`\\?ca=${missing} cannot be read \\(ENOENT\\)`));
        assert.ok(!error.message.includes(PASSWORD) && !error.message.includes(encodeURIComponent(PASSWORD)));
        return true;
      });
    }
  });
});

describe(
  'rediss:// with a client certificate (?cert=&key=) to a Redis that asks for one',
  { timeout: 60_000 },
  () => {
    let ca: TestCa;
    let redis: RedisServer;
    before(async () => {
      ca = await createTestCa();
      redis = await startRedis({ password: PASSWORD, tls: { ca, clientAuth: true } });
    });
    after(async () => {
      await redis?.stop();
      await ca?.close();
    });

    it('locks work with the certificate; without one the TLS handshake fails: LockUnavailableError', async (t) => {
      const client = await ca.issue('inventory-client');
      const withCertificate = await lockBackends.create(
        `${redis.url}&cert=${client.certFile}&key=${client.keyFile}`,
        {},
      );
      const without = await lockBackends.create(redis.url, { commandTimeoutMs: 2_000 });
      t.after(() => Promise.all([withCertificate.close?.(), without.close?.()]));
      const token = await withCertificate.acquire('k', 'owner', 10_000);
      assert.equal(typeof token, 'bigint');
      await withCertificate.release('k', 'owner');
      await assert.rejects(without.acquire('k', 'owner', 10_000), LockUnavailableError);
    });
  },
);
