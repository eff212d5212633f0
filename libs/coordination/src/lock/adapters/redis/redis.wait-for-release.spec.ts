import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { after, before, describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { freePort, startRedis, waitFor, type RedisServer } from '@nestmesh/testing';

import { runAlone } from '../../../test-fixtures/run-alone.js';
import { RedisLockBackend } from './redis.lock-backend.js';

// Distinct durations tell this backend's timers apart from any other timer in the process: the
// subscription wait is armed for COMMAND_TIMEOUT_MS, a release wait for MAX_WAIT_MS.
const COMMAND_TIMEOUT_MS = 20_000;
const MAX_WAIT_MS = 25_000;
const OURS = new Set([COMMAND_TIMEOUT_MS, MAX_WAIT_MS]);

/** Every Timeout created and neither fired nor cleared yet, ref'd or not (async_hooks sees both). */
const live = new Map<number, { _idleTimeout?: number }>();
const hook = createHook({
  init: (id, type, _trigger, resource) => void (type === 'Timeout' && live.set(id, resource)),
  destroy: (id) => void live.delete(id),
});
const armed = (ms: number) => [...live.values()].filter((timer) => timer._idleTimeout === ms).length;
/** The backend's timers still pending, once destroy hooks (queued) have run. */
async function pendingTimers(): Promise<number> {
  await nextTurn();
  await nextTurn();
  return [...live.values()].filter((timer) => OURS.has(timer._idleTimeout ?? -1)).length;
}

/**
 * Runs `end` and awaits `wait`, which must end at once: well before `armedMs`, the time the
 * timer it is waiting on was armed for (a wait not ended by `end` takes that long).
 */
async function endsAtOnce(wait: Promise<void>, end: () => unknown, armedMs: number): Promise<void> {
  const startedAt = performance.now();
  await end();
  await wait;
  const tookMs = performance.now() - startedAt;
  assert.ok(tookMs < armedMs / 2, `ended after ${Math.round(tookMs)} ms, not at once`);
}

describe('RedisLockBackend.waitForRelease leaves no timer behind', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  let backend: RedisLockBackend;
  before(async () => {
    hook.enable();
    redis = await startRedis();
    backend = new RedisLockBackend({
      url: redis.url,
      announceReleases: true,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      prefix: 'test:wait:',
    });
  });
  after(async () => {
    hook.disable();
    await backend?.close();
    await redis?.stop();
  });

  it('waits ended by release notices clear their timers (before the fix, each left its subscription timer)', async () => {
    for (let i = 0; i < 20; i++) {
      assert.notEqual(await backend.acquire('k', 'holder', 60_000), undefined);
      const waiting = backend.waitForRelease('k', MAX_WAIT_MS);
      // The wait is armed (subscribed, PTTL read) before the release, so the notice ends it.
      await waitFor(() => armed(MAX_WAIT_MS) >= 1, { timeoutMs: 30_000, description: 'the wait armed' });
      await backend.release('k', 'holder');
      await waiting;
    }
    assert.equal(await pendingTimers(), 0);
  });

  it('an aborted wait and a wait pending at close() end at once and clear their timers', async () => {
    const closing = new RedisLockBackend({
      url: redis.url,
      announceReleases: true,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      prefix: 'test:close:',
    });
    assert.notEqual(await closing.acquire('k', 'holder', 60_000), undefined);
    const aborter = new AbortController();
    const aborted = closing.waitForRelease('k', MAX_WAIT_MS, aborter.signal);
    await waitFor(() => armed(MAX_WAIT_MS) >= 1, { timeoutMs: 30_000, description: 'the wait armed' });
    await endsAtOnce(aborted, () => aborter.abort(), MAX_WAIT_MS);
    const pending = closing.waitForRelease('k', MAX_WAIT_MS);
    await waitFor(() => armed(MAX_WAIT_MS) >= 1, { timeoutMs: 30_000, description: 'the wait armed' });
    await endsAtOnce(pending, () => closing.close(), MAX_WAIT_MS);
    await closing.waitForRelease('k', MAX_WAIT_MS); // after close: at once
    assert.equal(await pendingTimers(), 0);
  });

  it('with Redis away: a wait still subscribing ends on abort, and one whose subscription timed out ends too', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`; // nothing listens there
    const away = new RedisLockBackend({ url, announceReleases: true, commandTimeoutMs: COMMAND_TIMEOUT_MS });
    const aborter = new AbortController();
    const subscribing = away.waitForRelease('k', MAX_WAIT_MS, aborter.signal);
    await waitFor(() => armed(COMMAND_TIMEOUT_MS) >= 1, { timeoutMs: 30_000, description: 'subscribing' });
    await endsAtOnce(subscribing, () => aborter.abort(), COMMAND_TIMEOUT_MS);
    await away.close();

    // A short command deadline: the subscription wait times out, the wait falls back to maxMs.
    const short = new RedisLockBackend({ url, announceReleases: true, commandTimeoutMs: 50 });
    const fallback = new AbortController();
    const waiting = short.waitForRelease('k', MAX_WAIT_MS, fallback.signal);
    await waitFor(() => armed(MAX_WAIT_MS) >= 1, { timeoutMs: 30_000, description: 'the fallback wait' });
    await endsAtOnce(waiting, () => fallback.abort(), MAX_WAIT_MS);
    await short.close();
    assert.equal(await pendingTimers(), 0);
  });

  it('a process that waited (Redis up, and Redis away) and closed its backends exits by itself', async () => {
    // A wait left armed would hold the process for MAX_WAIT_MS; a subscriber left connecting
    // (before the fix: close() only ended it once subscribed) would hold it forever.
    const run = await runAlone(
      `import { RedisLockBackend } from '@nestmesh/coordination/redis';
      import { setTimeout as sleep } from 'node:timers/promises';
      const options = { announceReleases: true, commandTimeoutMs: ${COMMAND_TIMEOUT_MS} };
      const up = new RedisLockBackend({ ...options, url: process.env.UP_URL });
      const away = new RedisLockBackend({ ...options, url: process.env.AWAY_URL });
      await up.acquire('k', 'holder', 60_000);
      const waits = [up.waitForRelease('k', ${MAX_WAIT_MS}), away.waitForRelease('k', ${MAX_WAIT_MS})];
      await sleep(200);
      await Promise.all([up.close(), away.close()]);
      await Promise.all(waits);
      console.log('waits ended');`,
      {
        deadlineMs: MAX_WAIT_MS / 2,
        env: { UP_URL: redis.url, AWAY_URL: `redis://127.0.0.1:${await freePort()}` },
      },
    );
    assert.ok(run.exitedAlone, run.stderr);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'waits ended');
  });
});
