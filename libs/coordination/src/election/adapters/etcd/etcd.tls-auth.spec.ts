import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BackendAuthError, BackendTlsFileError } from '@nestmesh/common';
import { createTestCa, startEtcd, type EtcdServer, type TestCa } from '@nestmesh/testing';

import { createElectionInspector } from '../../election-inspector.js';
import { createLeaderElection } from '../../leader-election.factory.js';

const PASSWORD = 'etcd p@ss/2';
const TIMING = { ttlMs: 3000, renewDeadlineMs: 2000, retryIntervalMs: 200 };

// Elections on an etcd that speaks TLS only and has auth on (user "app", root role).
describe('etcds:// with etcd auth: election and inspector', { timeout: 90_000 }, () => {
  let ca: TestCa;
  let etcd: EtcdServer;
  before(async () => {
    ca = await createTestCa();
    etcd = await startEtcd({ tls: { ca }, auth: { user: 'app', password: PASSWORD } });
  });
  after(async () => {
    await etcd?.stop();
    await ca?.close();
  });

  it('a campaign wins over TLS; leader() and the inspector name it; a resign hands over', async (t) => {
    const [first, second] = [
      await createLeaderElection({ group: 'tls', url: etcd.url, ...TIMING }),
      await createLeaderElection({ group: 'tls', url: etcd.url, ...TIMING }),
    ];
    const inspector = await createElectionInspector(`${etcd.url}&timeout=4000`);
    t.after(() => Promise.all([first.close(), second.close(), inspector.close()]));
    const leading = await first.campaign('c1', { signal: AbortSignal.timeout(30_000) });
    assert.equal((await second.leader())?.candidateId, 'c1');
    assert.equal((await inspector.group('tls'))?.leader?.candidateId, 'c1');
    const next = second.campaign('c2', { signal: AbortSignal.timeout(30_000) });
    await leading.resign();
    const took = await next;
    assert.ok(took.epoch > leading.epoch, 'a later epoch');
    assert.equal((await inspector.group('tls'))?.leader?.candidateId, 'c2');
  });

  it('a wrong password: BackendAuthError naming etcd, for the election at startup and for the inspector', async () => {
    const wrong = etcd.url.replace(encodeURIComponent(PASSWORD), 'wr0ng');
    const refused = (error: unknown) => {
      assert.ok(error instanceof BackendAuthError, String(error));
      assert.equal(error.backend, 'etcd');
      assert.match(error.message, /^etcd etcds:\/\/app:\*\*\*@127\.0\.0\.1:\d+\S*: authentication failed/);
      assert.ok(!error.message.includes('wr0ng') && !error.message.includes(encodeURIComponent(PASSWORD)));
      return true;
    };
    await assert.rejects(createLeaderElection({ group: 'g', url: wrong, ...TIMING }), refused);
    const inspector = await createElectionInspector(wrong);
    try {
      await assert.rejects(inspector.groups(), refused);
    } finally {
      await inspector.close();
    }
  });

  it('an unreadable ?ca= file: BackendTlsFileError naming the parameter and the file', async () => {
    const missing = join(ca.dir, 'missing.crt');
    const url = etcd.url.replace(/\?ca=[^&]*/, `?ca=${missing}`);
    await assert.rejects(createLeaderElection({ group: 'g', url, ...TIMING }), (error: unknown) => {
      assert.ok(error instanceof BackendTlsFileError, String(error));
      assert.ok(error.message.includes(`?ca=${missing} cannot be read`), error.message);
      return true;
    });
  });
});
