import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { freePort, startZookeeper, waitFor, type ZookeeperServer } from '@nestmesh/testing';

import {
  InvalidLockOptionsError,
  LockHeldError,
  LockLostError,
  LockUnavailableError,
} from '../../../coordination.errors.js';
import { createLeaderElection } from '../../../election/leader-election.factory.js';
import { lockBackends } from '../../lock-backend.factory.js';
import { LockService } from '../../lock.service.js';
import { lockBackendContract } from '../../testing/lock-backend.contract.js';
import { runAlone } from '../../../test-fixtures/run-alone.js';
import { ZookeeperLockBackend } from './zookeeper.lock-backend.js';
import { inQueueOrder } from './zookeeper.queue.js';
import { ZookeeperSession } from './zookeeper.session.js';

/** The session timeout of these tests' backends, in ms: long enough for a loaded machine. */
const SESSION_MS = 20_000;

/**
 * A lock holder in another process, to be paused: prints its token, then every 50 ms what it
 * would act on — `held` read from the lock — with the wall-clock time.
 */
const HOLDER = `
  const { lockBackends, LockService } = await import(process.env.COORDINATION);
  const backend = await lockBackends.create(process.env.ZK_URL, {});
  const lock = await new LockService(backend).acquire('paused', { ttlMs: 2000 });
  console.log(JSON.stringify({ token: String(lock.token) }));
  setInterval(() => console.log(JSON.stringify({ held: lock.held, why: lock.signal.reason?.why, at: Date.now() })), 50);
`;

// One ZooKeeper for the file: it takes seconds to start (a JVM).
describe('zookeeper locks (a real ZooKeeper server)', { timeout: 300_000 }, () => {
  let zk: ZookeeperServer;
  /** A plain session of the test's own, to look at the nodes. */
  let inspector: ZookeeperSession;
  const backends: ZookeeperLockBackend[] = [];
  const backend = (sessionTimeoutMs = SESSION_MS) => {
    const made = new ZookeeperLockBackend({
      connectionString: zk.connectionString,
      sessionTimeoutMs,
      requestTimeoutMs: 2000,
    });
    backends.push(made);
    return made;
  };
  const queueOf = async (key: string) => inQueueOrder(await inspector.children(`/nestmesh/lock/${key}`));

  before(
    async () => {
      zk = await startZookeeper();
      inspector = new ZookeeperSession({
        connectionString: zk.connectionString,
        sessionTimeoutMs: SESSION_MS,
        requestTimeoutMs: 5000,
      });
    },
    { timeout: 120_000 },
  );
  after(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await inspector?.close();
    await zk?.stop();
  });

  lockBackendContract('zookeeper (a real ZooKeeper server)', () => {
    const made = backend();
    return Promise.resolve({ backend: made, close: () => made.close() });
  });

  it('N waiters queue behind the holder, each watching only its predecessor; a release wakes one', async () => {
    const key = 'herd';
    const holder = new LockService(backend());
    const held = await holder.acquire(key);
    const waiters = Array.from({ length: 4 }, () => backend());
    // Counts each waiter's looks at the queue: a waiter that wakes looks again.
    const looks = waiters.map(() => 0);
    waiters.forEach((waiter, index) => {
      const session = (waiter as unknown as { session: ZookeeperSession }).session;
      const children = session.children.bind(session);
      session.children = (path) => (looks[index]++, children(path));
    });
    const acquired = waiters.map((waiter) => new LockService(waiter).acquire(key, { waitMs: 60_000 }));
    await waitFor(async () => (await queueOf(key)).length === 5, { description: 'five queue nodes' });
    const queue = await queueOf(key);
    const expected = new Map(
      queue
        .slice(0, -1)
        .map((name) => `/nestmesh/lock/${key}/${name}`)
        .map((p) => [p, 1]),
    );
    await waitFor(
      async () => {
        const watched = [...(await zk.watches())].filter(([path]) =>
          path.startsWith(`/nestmesh/lock/${key}/`),
        );
        return (
          watched.length === expected.size &&
          watched.every(([path, sessions]) => expected.get(path) === sessions.length)
        );
      },
      { description: 'each queue node but the last watched by exactly one session' },
    );
    const before = [...looks];
    await held.release();
    const first = await Promise.race(acquired.map((p, index) => p.then(() => index)));
    // The first waiter in the queue took it; nobody else so much as looked again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(
      looks.map((count, index) => count - before[index]),
      looks.map((_, index) => (index === first ? 1 : 0)),
      'only the next waiter woke',
    );
    // Down the line: each release hands over to the next waiter, tokens growing.
    let last = await acquired[first];
    assert.ok(last.token > held.token);
    const waiting = new Set([0, 1, 2, 3].filter((index) => index !== first));
    while (waiting.size > 0) {
      await last.release();
      const next = await Promise.race(
        [...waiting].map((index) => acquired[index].then((lock) => ({ index, lock }))),
      );
      assert.ok(next.lock.token > last.token);
      waiting.delete(next.index);
      last = next.lock;
    }
    await last.release();
    await waitFor(async () => (await queueOf(key)).length === 0, { description: 'an empty queue' });
  });

  it('a try that gives up, a wait that times out and an aborted wait leave no node behind', async () => {
    const key = 'abandoned';
    const locks = new LockService(backend());
    const others = new LockService(backend());
    const held = await locks.acquire(key);
    const holderNode = (await queueOf(key))[0];
    await assert.rejects(others.tryAcquire(key), LockHeldError);
    await assert.rejects(others.acquire(key, { waitMs: 300 }), LockHeldError);
    const abort = new AbortController();
    const aborted = others.acquire(key, { waitMs: 60_000, signal: abort.signal });
    await waitFor(async () => (await queueOf(key)).length === 2, { description: 'a waiting node' });
    const reason = new Error('no longer wanted');
    abort.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
    await waitFor(async () => (await queueOf(key)).length === 1, { description: 'only the holder left' });
    assert.deepEqual(await queueOf(key), [holderNode]);
    await held.release();
    // Nothing blocks the next one: it gets the lock at once.
    const next = await others.tryAcquire(key);
    assert.ok(next.token > held.token);
    await next.release();
  });

  it('leader() names the leader, its epoch and since; an aborted campaign leaves no node behind', async () => {
    const group = 'abandoned-campaign';
    const [leading, following] = await Promise.all(
      [0, 1].map(() => createLeaderElection({ url: `${zk.url}?sessionTimeout=${SESSION_MS}`, group })),
    );
    try {
      const leadership = await leading.campaign('leader');
      // leader() names it, with its epoch (czxid) and since when it leads (recorded on the win).
      assert.deepEqual(await following.leader(), {
        candidateId: 'leader',
        epoch: leadership.epoch,
        since: leadership.since,
      });
      const abort = new AbortController();
      const campaign = following.campaign('follower', { signal: abort.signal });
      const nodes = async () => (await inspector.children(`/nestmesh/election/${group}`)).length;
      await waitFor(async () => (await nodes()) === 2, { description: 'a waiting candidate' });
      abort.abort(new Error('stop'));
      await assert.rejects(campaign, /stop/);
      await waitFor(async () => (await nodes()) === 1, { description: 'the follower node removed' });
      assert.ok(leadership.active);
      await leadership.resign();
      await waitFor(async () => (await nodes()) === 0, { description: 'no node left' });
    } finally {
      await Promise.all([leading.close(), following.close()]);
    }
  });

  it('close() ends the session (its nodes go at once) and every wait, and leaves nothing that keeps the process alive, ZooKeeper up, unreachable or hung', async () => {
    // A holder and a waiter on the server, then a backend whose server never answers (a port
    // nothing listens on: the client would reconnect for ever); each process must end by itself.
    const script = `
      const { lockBackends, LockService } = await import('@nestmesh/coordination');
      const backend = await lockBackends.create(process.env.ZK_URL, {});
      const locks = new LockService(backend);
      const held = await locks.acquire('closing');
      const waiterBackend = await lockBackends.create(process.env.ZK_URL, {});
      const waiting = new LockService(waiterBackend);
      const waiter = waiting.acquire('closing', { waitMs: 60_000 }).catch((error) => error.code);
      const away = await lockBackends.create(process.env.AWAY_URL, {});
      const refused = await away.acquire('x', 'o', 1000).catch((error) => error.code);
      const hung = await lockBackends.create(process.env.HUNG_URL, {});
      const unanswered = await hung.acquire('x', 'o', 1000).catch((error) => error.code);
      await Promise.all([backend.close(), away.close(), hung.close()]);
      console.log(JSON.stringify({ held: held.token > 0n, refused, unanswered, waiter: (await waiter).token > 0n }));
      await (await waiter).release();
      await waiterBackend.close();
    `;
    // A server that takes connections and never answers (hung): the client would wait on it for ever.
    const sockets = new Set<Socket>();
    const hungServer = createServer((socket) => void sockets.add(socket.on('error', () => undefined)));
    await new Promise<void>((resolve) => hungServer.listen(0, '127.0.0.1', resolve));
    try {
      const run = await runAlone(script, {
        deadlineMs: 60_000,
        env: {
          ZK_URL: `${zk.url}?sessionTimeout=${SESSION_MS}`,
          AWAY_URL: `zk://127.0.0.1:${await freePort()}`,
          HUNG_URL: `zk://127.0.0.1:${(hungServer.address() as AddressInfo).port}`,
        },
      });
      assert.ok(run.exitedAlone && run.code === 0, run.stderr);
      // The holder's session ended with close(): the waiter got the lock without waiting for it to expire.
      assert.deepEqual(JSON.parse(run.stdout), {
        held: true,
        refused: 'LOCK_UNAVAILABLE',
        unanswered: 'LOCK_UNAVAILABLE',
        waiter: true,
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      hungServer.close();
    }
    assert.deepEqual(await queueOf('closing'), []);
  });

  it('refuses a ttlMs longer than the session timeout the server granted', async () => {
    const short = backend(2000);
    await short.connected(10_000);
    assert.equal(short.sessionTimeoutMs, 2000);
    await assert.rejects(new LockService(short).tryAcquire('ttl', { ttlMs: 2001 }), InvalidLockOptionsError);
    const lock = await new LockService(short).tryAcquire('ttl', { ttlMs: 2000 });
    await lock.release();
  });

  it('the zk:// scheme: chroot, options, and a missing chroot named in the error', async () => {
    await assert.rejects(
      lockBackends.create(`${zk.url}?sessionTimout=1`, {}),
      /unknown option "sessionTimout"/,
    );
    await assert.rejects(lockBackends.create('zk://u:s3cret@h:2181', {}), (error: Error) => {
      assert.match(error.message, /takes no user or password/);
      assert.ok(!error.message.includes('s3cret'));
      return true;
    });
    const chrooted = await lockBackends.create(`${zk.url}/missing-root?sessionTimeout=5000`, {});
    try {
      await assert.rejects(chrooted.acquire('k', 'a', 1000), (error: unknown) => {
        assert.ok(error instanceof LockUnavailableError);
        assert.match(error.message, /chroot \/missing-root does not exist/);
        return true;
      });
    } finally {
      await chrooted.close?.();
    }
  });

  it('a holder paused (SIGSTOP) past its session loses the lock: another takes it with a greater token, and resumed, the paused one is not the holder', async () => {
    const url = `${zk.url}?sessionTimeout=2000`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', HOLDER], {
      env: { ...process.env, ZK_URL: url, COORDINATION: new URL('../../../index.js', import.meta.url).href },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: Record<string, unknown>[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const exited = once(child, 'exit');
    const backend = await lockBackends.create(url, {});
    try {
      const { token } = (await waitFor(() => lines[0], { timeoutMs: 30_000, description: 'the holder' })) as {
        token: string;
      };
      child.kill('SIGSTOP');
      const pausedAt = performance.now();
      const lock = await new LockService(backend).acquire('paused', { ttlMs: 2000, waitMs: 30_000 });
      const tookMs = performance.now() - pausedAt;
      assert.ok(lock.token > BigInt(token), `${lock.token} > ${token}`);
      // Not before its session could expire: the session is the lease.
      assert.ok(tookMs >= 2000 * 0.9, `taken over after ${tookMs} ms`);
      const resumedAt = Date.now();
      child.kill('SIGCONT');
      // Every look it takes once resumed says it no longer holds the lock.
      await waitFor(() => lines.some((line) => (line.at as number) >= resumedAt), {
        timeoutMs: 10_000,
        description: 'the resumed holder',
      });
      const afterResume = lines.filter((line) => typeof line.at === 'number' && line.at >= resumedAt);
      assert.ok(
        afterResume.every((line) => line.held === false && line.why === 'unconfirmed'),
        JSON.stringify(afterResume),
      );
      assert.ok(lock.held);
      await lock.release();
      child.kill('SIGKILL');
      await exited;
    } finally {
      child.kill('SIGKILL');
      await backend.close?.();
    }
  });

  // Last: pauses and restarts the server.
  it('ZooKeeper paused past the renew deadline, then restarted: the holder learns (signal fires), nothing crashes, locks work again with a greater token', async () => {
    const key = 'restart';
    const locks = new LockService(backend());
    const ttlMs = 2000;
    const lock = await locks.acquire(key, { ttlMs });
    zk.pause();
    try {
      await once(lock.signal, 'abort');
      assert.ok(lock.signal.reason instanceof LockLostError);
      assert.equal(lock.signal.reason.why, 'unconfirmed');
      await assert.rejects(locks.tryAcquire(key, { ttlMs }), LockUnavailableError);
    } finally {
      zk.resume();
    }
    await zk.restart();
    const next = await waitFor(() => locks.tryAcquire(key, { ttlMs }).catch(() => undefined), {
      timeoutMs: 30_000,
      description: 'locks to work again',
    });
    assert.ok(next.token > lock.token);
    await next.release();
  });
});
