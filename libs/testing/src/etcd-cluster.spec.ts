import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';

import {
  ETCD_CLUSTER_ELECTION_TIMEOUT_MS,
  startEtcdCluster,
  type EtcdCluster,
  type EtcdClusterMember,
} from './etcd-cluster.js';
import { call } from './etcd-gateway.js';
import { waitFor } from './wait-for.js';

// An election takes about one election timeout on a quiet machine; this is a bound for a loaded one.
const ELECTION_BOUND_MS = ETCD_CLUSTER_ELECTION_TIMEOUT_MS * 20;

const base64 = (text: string) => Buffer.from(text).toString('base64');

async function put(member: EtcdClusterMember, key: string, value: string): Promise<void> {
  const { status } = await call({ endpoint: member.endpoint }, 'POST', '/v3/kv/put', {
    key: base64(key),
    value: base64(value),
  });
  assert.equal(status, 200);
}

/** The member's own copy (serializable: no quorum round trip), so it shows what that member holds. */
async function localValue(member: EtcdClusterMember, key: string): Promise<string | undefined> {
  const { body } = await call({ endpoint: member.endpoint }, 'POST', '/v3/kv/range', {
    key: base64(key),
    serializable: true,
  });
  const value = (body as { kvs?: { value: string }[] }).kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString();
}

describe('startEtcdCluster: three etcd members on free ports', { timeout: 180_000 }, () => {
  let cluster: EtcdCluster;

  before(async () => {
    cluster = await startEtcdCluster();
  });

  after(async () => {
    await cluster?.stop();
  });

  it('forms one cluster with a leader, named by a URL that lists every member', async () => {
    assert.equal(cluster.members.length, 3);
    const ports = cluster.members.map((member) => `127.0.0.1:${member.clientPort}`);
    assert.equal(cluster.url, `etcd://${ports.join(',')}`);
    const leader = await cluster.leader();
    assert.ok(leader && cluster.members.includes(leader));
    // One cluster: a write through one member is read from another.
    await put(cluster.members[0], 'formed', 'yes');
    await waitFor(async () => (await localValue(cluster.members[2], 'formed')) === 'yes');
  });

  it('a killed leader is replaced by another member; restarted, it catches up from its kept data', async () => {
    const oldLeader = (await cluster.leader())!;
    await oldLeader.kill();
    assert.equal(oldLeader.running, false);
    const newLeader = await waitFor(() => cluster.leader(), {
      timeoutMs: ELECTION_BOUND_MS,
      description: 'a new leader',
    });
    assert.notEqual(newLeader, oldLeader);
    await put(newLeader, 'while-away', 'written');
    await oldLeader.start();
    await cluster.healthy();
    await waitFor(async () => (await localValue(oldLeader, 'while-away')) === 'written', {
      description: 'the restarted member to catch up',
    });
    assert.equal(await localValue(oldLeader, 'formed'), 'yes', 'its data folder was kept');
  });

  it('two members down: the last one has no leader and is unhealthy; one back restores a quorum', async () => {
    const [first, second, third] = cluster.members;
    await first.kill();
    await second.stop();
    await waitFor(async () => (await cluster.leader()) === undefined, {
      timeoutMs: ELECTION_BOUND_MS,
      description: 'the lone member to lose its leader',
    });
    await assert.rejects(cluster.healthy({ timeoutMs: 500 }));
    await second.start();
    await cluster.healthy();
    assert.ok([second, third].includes((await cluster.leader())!));
    await first.start();
    await cluster.healthy();
  });

  it('connectedMembers() names the members this process holds connections to', async () => {
    assert.deepEqual(cluster.connectedMembers(), []);
    const target = cluster.members[1];
    const socket = connect(target.clientPort, '127.0.0.1');
    try {
      await once(socket, 'connect');
      assert.deepEqual(cluster.connectedMembers(), [target]);
    } finally {
      socket.destroy();
    }
  });

  it('stop() ends every member and may be called twice', async () => {
    const spare = await startEtcdCluster();
    const pids = spare.members.map((member) => member.pid!);
    await spare.stop();
    await spare.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' });
  });
});
