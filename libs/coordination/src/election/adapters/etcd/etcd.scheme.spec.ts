import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEtcd, type EtcdServer } from '@nestmesh/testing';
import { Etcd3 } from 'etcd3';
import { BackendAuthError } from '@nestmesh/common';

import { createLeaderElection } from '../../leader-election.factory.js';
import { EtcdLeaderElection } from './etcd.election.js';

const PASSWORD = 'r00t:p@ss/word';

describe('etcd://user:password@host elections (a real etcd with auth enabled)', { timeout: 90_000 }, () => {
  let etcd: EtcdServer;
  const url = (userInfo: string) => etcd.endpoint.replace('http://', `etcd://${userInfo}`);
  before(async () => {
    etcd = await startEtcd();
    const admin = new Etcd3({ hosts: etcd.endpoint });
    try {
      await admin.role('root').create();
      await admin.user('root').create(PASSWORD);
      await admin.user('root').addRole('root');
      await admin.auth.authEnable();
    } finally {
      admin.close();
    }
  });
  after(() => etcd?.stop());

  it('the credentials in the URL log the election in: a candidate leads and leader() names it', async (t) => {
    // Before: the user and password were passed on as part of the host, and the campaign
    // never got anywhere, silently.
    const election = await createLeaderElection({
      group: 'with-auth',
      url: url(`root:${encodeURIComponent(PASSWORD)}@`),
    });
    t.after(() => election.close());
    assert.ok(election instanceof EtcdLeaderElection);
    const leadership = await election.campaign('c1', { signal: AbortSignal.timeout(60_000) });
    assert.equal((await election.leader())?.candidateId, 'c1');
    await leadership.resign();
  });

  it('no credentials, or a wrong password: BackendAuthError naming etcd at startup, and no message shows the password', async () => {
    // Before: ElectionUnavailableError on every read, and a campaign retrying forever, silently.
    for (const userInfo of ['', 'root:wrong-s3cret@']) {
      await assert.rejects(
        createLeaderElection({ group: 'with-auth', url: url(userInfo) }),
        (error: unknown) => {
          assert.ok(error instanceof BackendAuthError, String(error));
          assert.equal(error.backend, 'etcd');
          assert.ok(!error.message.includes('s3cret'), error.message);
          return true;
        },
      );
    }
  });

  it('a campaign on an election built directly fails with BackendAuthError instead of retrying', async (t) => {
    const election = new EtcdLeaderElection({
      hosts: [etcd.endpoint],
      auth: { username: 'root', password: 'wrong-s3cret' },
      group: 'with-auth',
    });
    t.after(() => election.close());
    await assert.rejects(election.campaign('c1', { signal: AbortSignal.timeout(30_000) }), BackendAuthError);
    await assert.rejects(election.leader(), BackendAuthError);
  });
});
