import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { startRedisCluster, type RedisCluster } from './redis-cluster.js';
import { clusterNodes, redisCli } from './redis-cluster-topology.js';

describe('startRedisCluster', { timeout: 120_000 }, () => {
  let cluster: RedisCluster;

  before(async () => {
    cluster = await startRedisCluster();
  });

  after(() => cluster.stop());

  it('builds three primaries with one replica each, every slot served', async () => {
    const roles = await Promise.all(cluster.nodes.map((node) => node.isPrimary()));
    assert.equal(roles.filter(Boolean).length, 3);
    const view = await clusterNodes(cluster.nodes[0].port);
    for (const replica of view.filter((node) => node.role === 'slave'))
      assert.ok(view.some((node) => node.id === replica.primaryId && node.role === 'master'));
    assert.equal(
      await cluster.nodes[0].command('CLUSTER', 'INFO').then((info) => /cluster_slots_ok:16384/.test(info)),
      true,
    );
    assert.match(cluster.url, /^redis\+cluster:\/\/127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+){5}$/);
  });

  it('primaryOf names the node that accepts the key; the others answer MOVED', async () => {
    const primary = await cluster.primaryOf('sku:{A}');
    assert.equal(await primary.command('SET', 'sku:{A}', '1'), 'OK');
    const other = cluster.nodes.find((node) => node !== primary)!;
    await assert.rejects(other.command('GET', 'sku:{A}'), /MOVED \d+ 127\.0\.0\.1:(\d+)/);
    assert.equal(await cluster.slotOf('sku:{A}'), await cluster.slotOf('{A}'));
  });

  it('migrateSlot moves a slot and its keys while it serves; clients are sent ASK meanwhile', async () => {
    const slot = await cluster.slotOf('moving');
    const from = await cluster.primaryOfSlot(slot);
    await from.command('SET', 'moving', 'v');
    const keys = Array.from({ length: 25 }, (_, index) => `{moving}:${index}`);
    assert.equal(await cluster.slotOf(keys[0]), slot);
    for (const key of keys) await from.command('SET', key, key);
    const to = (
      await Promise.all(cluster.nodes.map(async (node) => ((await node.isPrimary()) ? node : undefined)))
    ).find((node) => node && node !== from)!;
    let asked = false;
    await cluster.migrateSlot(slot, to, {
      keysPerBatch: 5,
      betweenBatches: async () => {
        // A key already moved: the source sends ASK to the target.
        const moved = (await redisCli(to.port, ['CLUSTER', 'COUNTKEYSINSLOT', String(slot)])) !== '0';
        if (moved && !asked) {
          const first = (await redisCli(to.port, ['CLUSTER', 'GETKEYSINSLOT', String(slot), '1'])).trim();
          await assert.rejects(from.command('GET', first), /ASK \d+ 127\.0\.0\.1:/);
          asked = true;
        }
      },
    });
    assert.ok(asked, 'a half-moved slot answers ASK');
    assert.equal(await cluster.primaryOfSlot(slot), to);
    assert.equal(await to.command('GET', 'moving'), 'v');
    assert.equal(await to.command('GET', keys[24]), keys[24]);
  });

  it('failover hands a primary to its replica; killPrimary promotes the replica and the old one rejoins', async () => {
    const primary = await cluster.primaryOf('sku:{A}');
    const replica = await cluster.failover(primary);
    assert.notEqual(replica, primary);
    assert.equal(await cluster.primaryOf('sku:{A}'), replica);
    assert.equal(await replica.command('GET', 'sku:{A}'), '1', 'CLUSTER FAILOVER loses no write');
    assert.equal(await primary.isPrimary(), false);

    const started = performance.now();
    const promoted = await cluster.killPrimary(replica);
    const elapsedMs = performance.now() - started;
    assert.equal(promoted, primary);
    assert.equal(await cluster.primaryOf('sku:{A}'), primary);
    // Failure detection takes the node timeout; the rest is gossip (bound for a loaded machine).
    assert.ok(elapsedMs >= cluster.nodeTimeoutMs, `promoted after ${elapsedMs} ms`);
    await replica.start();
    await cluster.waitUntilHealthy();
    assert.equal(await replica.isPrimary(), false, 'the old primary comes back as a replica');
  });

  it('stop() twice is harmless and leaves no node answering', async () => {
    const probe = await startRedisCluster();
    await probe.stop();
    await probe.stop();
    await assert.rejects(redisCli(probe.nodes[0].port, ['PING'], 2_000));
  });
});
