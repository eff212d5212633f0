import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { redisCommand } from './redis-command.js';
import { startRedisSentinel, type RedisSentinelDeployment } from './redis-sentinel.js';
import { waitFor } from './wait-for.js';

function listenOn(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
  });
}

async function roleOf(port: number, password?: string): Promise<string> {
  const role = await redisCommand(port, ['ROLE'], { password });
  return Array.isArray(role) ? String(role[0]) : '';
}

describe('startRedisSentinel', { timeout: 120_000 }, () => {
  let deployment: RedisSentinelDeployment;

  before(async () => {
    deployment = await startRedisSentinel({ password: 'data:secret', sentinelPassword: 'sentinel:secret' });
  });
  after(() => deployment?.stop());

  it('starts a primary, a replica and three Sentinels that all know each other', async () => {
    assert.equal(deployment.nodes.length, 2);
    assert.equal(deployment.sentinels.length, 3);
    assert.equal(await deployment.currentPrimary(), deployment.nodes[0].port);
    assert.equal(await roleOf(deployment.nodes[0].port, 'data:secret'), 'master');
    assert.equal(await roleOf(deployment.nodes[1].port, 'data:secret'), 'slave');
    const ports = deployment.sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`).join(',');
    assert.equal(
      deployment.url,
      `redis+sentinel://:data%3Asecret@${ports}/mymaster?sentinelPassword=sentinel%3Asecret`,
    );
  });

  it('refuses clients without the passwords', async () => {
    await assert.rejects(redisCommand(deployment.nodes[0].port, ['SET', 'k', 'v']), /NOAUTH/);
    await assert.rejects(redisCommand(deployment.sentinels[0].port, ['SENTINEL', 'MASTERS']), /NOAUTH/);
  });

  it('fails over on demand: the replica, holding the primary’s writes, becomes the primary', async () => {
    const [first, second] = deployment.nodes;
    await redisCommand(first.port, ['SET', 'before-failover', 'kept'], { password: 'data:secret' });
    await redisCommand(first.port, ['WAIT', '1', '5000'], { password: 'data:secret' });
    assert.equal(await deployment.failover(), second.port);
    assert.equal((await deployment.primary()).port, second.port);
    assert.equal(
      await redisCommand(second.port, ['GET', 'before-failover'], { password: 'data:secret' }),
      'kept',
    );
    // The Sentinels turn the former primary into a replica of the new one.
    await waitFor(async () => (await roleOf(first.port, 'data:secret')) === 'slave', { timeoutMs: 30_000 });
  });

  it('promotes the replica when the primary is killed, and takes the old one back as a replica', async () => {
    const primary = await deployment.primary();
    const replica = deployment.nodes.find((node) => node !== primary)!;
    const killedAt = performance.now();
    await primary.kill();
    // Its port stays taken while it is down: no other test's redis-server can become a replica.
    await assert.rejects(listenOn(primary.port), /EADDRINUSE/);
    assert.equal(await deployment.waitForPromotion(primary.port), replica.port);
    // Bounded by the settings: down-after, then an election and the promotion (slack for load).
    assert.ok(performance.now() - killedAt < deployment.downAfterMs + 4 * deployment.failoverTimeoutMs);
    await primary.start();
    assert.equal(await roleOf(primary.port, 'data:secret'), 'slave');
  });

  it('keeps naming the primary while a Sentinel is down, and takes the Sentinel back', async () => {
    const [sentinel] = deployment.sentinels;
    await sentinel.kill();
    const primary = await deployment.currentPrimary();
    await sentinel.start();
    assert.equal(await deployment.currentPrimary(), primary);
  });

  it('leaves no RDB file in the working directory (a later redis-server would load it)', () => {
    // The replicas above made full syncs, which write an RDB file.
    assert.equal(existsSync(join(process.cwd(), 'dump.rdb')), false);
  });

  it('stops everything, twice without harm', async () => {
    const extra = await startRedisSentinel({ replicas: 0, sentinels: 1 });
    const pids = [...extra.nodes, ...extra.sentinels].map((member) => member.pid);
    await extra.stop();
    await extra.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid!, 0), /ESRCH/);
  });
});
