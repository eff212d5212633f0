import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '@nestmesh/testing';

import { LockLostError } from '../coordination.errors.js';
import { MemoryLockBackend } from './adapters/memory/memory.lock-backend.js';
import type { LockBackend } from './lock-backend.js';
import { LockService } from './lock.service.js';

const ttlMs = 900; // renew every 300 ms, deadline 720 ms after the last confirmation
const renewIntervalMs = ttlMs / 3;
const renewDeadlineMs = ttlMs * 0.8;

function why(signal: AbortSignal): string | undefined {
  return signal.reason instanceof LockLostError ? signal.reason.why : undefined;
}

/** A memory backend whose extend answers only when the test says (see `answer`). */
function slowExtends(): LockBackend & { extends: number; answer(extended: boolean): void } {
  const memory = new MemoryLockBackend();
  const waiting: ((extended: boolean) => void)[] = [];
  return {
    extends: 0,
    acquire: (key, owner, ttl) => memory.acquire(key, owner, ttl),
    release: (key, owner) => memory.release(key, owner),
    extend() {
      this.extends++;
      return new Promise<boolean>((resolve) => waiting.push(resolve));
    },
    answer: (extended) => waiting.shift()!(extended),
  };
}

describe('LockHandle (a manual clock)', { timeout: 10_000 }, () => {
  it('a stall past the renew deadline reads as lost at once: held, aborted, reason, throwIfAborted, and the abort event fires at that read', async () => {
    const clock = new ManualClock();
    const lock = await new LockService(new MemoryLockBackend(), ttlMs, clock).tryAcquire('k', { ttlMs });
    const { signal } = lock;
    let events = 0;
    signal.addEventListener('abort', () => events++);

    clock.stall(renewDeadlineMs - 1); // no timer runs: a paused process
    assert.equal(lock.held, true, 'before the deadline');
    assert.equal(signal.aborted, false);

    clock.stall(1);
    assert.equal(events, 0, 'no timer has told it');
    assert.equal(signal.aborted, true, 'at the deadline, from the clock');
    assert.equal(events, 1, 'the abort event fired at the read');
    assert.equal(why(signal), 'unconfirmed');
    assert.throws(
      () => signal.throwIfAborted(),
      (error: unknown) => error === signal.reason,
    );
    assert.equal(lock.held, false);
    assert.equal(events, 1, 'once');
  });

  it('lock.held alone tells too, and a signal first read after that is already aborted', async () => {
    const clock = new ManualClock();
    const lock = await new LockService(new MemoryLockBackend(), ttlMs, clock).tryAcquire('k', { ttlMs });
    clock.stall(renewDeadlineMs);
    assert.equal(lock.held, false);
    assert.equal(lock.signal.aborted, true);
    assert.equal(why(lock.signal), 'unconfirmed');
    await lock.release(); // a lost lease: nothing to release, no error
  });

  it('the reason and throwIfAborted() answer from the clock as well', async () => {
    const clock = new ManualClock();
    const lock = await new LockService(new MemoryLockBackend(), ttlMs, clock).tryAcquire('k', { ttlMs });
    const { signal } = lock;
    clock.stall(renewDeadlineMs);
    assert.throws(() => signal.throwIfAborted(), LockLostError);
    const other = await new LockService(new MemoryLockBackend(), ttlMs, clock).tryAcquire('k', { ttlMs });
    clock.stall(renewDeadlineMs);
    assert.ok(other.signal.reason instanceof LockLostError, 'reason read first');
  });

  it('renewals confirm the lease: it is held through many TTLs while the clock advances normally', async () => {
    const clock = new ManualClock();
    const backend = new MemoryLockBackend();
    const lock = await new LockService(backend, ttlMs, clock).tryAcquire('k', { ttlMs });
    await clock.advance(ttlMs * 10);
    assert.equal(lock.held, true);
    assert.equal(lock.signal.aborted, false);
    await lock.release();
    assert.equal(why(lock.signal), 'released');
    await clock.advance(renewIntervalMs); // the shared timer fires once more, finds nothing due
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  it('a renewal answered before the deadline moves it to the send time + renewDeadlineMs, and the next goes out a renewal interval after that send', async () => {
    const clock = new ManualClock();
    const backend = slowExtends();
    const lock = await new LockService(backend, ttlMs, clock).tryAcquire('k', { ttlMs });
    const sentAt = clock.now() + renewIntervalMs;
    await clock.advance(renewIntervalMs);
    assert.equal(backend.extends, 1, 'the renewal went out at TTL/3');
    await clock.advance(200);
    backend.answer(true); // confirmed 200 ms after it was sent
    await clock.advance(renewIntervalMs - 200 - 1);
    assert.equal(backend.extends, 1);
    await clock.advance(1);
    assert.equal(backend.extends, 2, 'the next renewal: one interval after the first was sent');
    clock.stall(sentAt + renewDeadlineMs - clock.now() - 1);
    assert.equal(lock.held, true, 'the deadline moved to the send time of the confirmed renewal');
    clock.stall(1);
    assert.equal(lock.held, false);
  });

  it('a renewal answer read after the deadline confirms nothing', async () => {
    const clock = new ManualClock();
    const backend = slowExtends();
    const lock = await new LockService(backend, ttlMs, clock).tryAcquire('k', { ttlMs });
    await clock.advance(renewIntervalMs);
    clock.stall(renewDeadlineMs); // the process stalls; the answer is read only after the deadline
    backend.answer(true);
    await clock.advance(0);
    assert.equal(lock.held, false);
    assert.equal(why(lock.signal), 'unconfirmed');
  });

  it('an unanswered renewal: the deadline timer fires the signal at the deadline without any read', async () => {
    const clock = new ManualClock();
    const backend = slowExtends();
    const lock = await new LockService(backend, ttlMs, clock).tryAcquire('k', { ttlMs });
    const { signal } = lock;
    let firedAt: number | undefined;
    signal.addEventListener('abort', () => (firedAt = clock.now()));
    const deadline = clock.now() + renewDeadlineMs;
    await clock.advance(renewDeadlineMs + 50);
    assert.equal(firedAt, deadline);
    assert.equal(why(signal), 'unconfirmed');
  });

  it('a renewal that finds the lease gone fires with why "expired"; maxHoldMs fires with "max-hold"', async () => {
    const clock = new ManualClock();
    const backend = slowExtends();
    const locks = new LockService(backend, ttlMs, clock);
    const lock = await locks.tryAcquire('k', { ttlMs });
    await clock.advance(renewIntervalMs);
    backend.answer(false);
    await clock.advance(0);
    assert.equal(why(lock.signal), 'expired');

    const held = await locks.tryAcquire('k2', { ttlMs, maxHoldMs: 100 });
    await clock.advance(99);
    assert.equal(held.held, true);
    await clock.advance(1);
    assert.equal(why(held.signal), 'max-hold');
  });
});
