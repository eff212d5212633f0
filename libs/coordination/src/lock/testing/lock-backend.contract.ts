import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { LockLostError } from '../../coordination.errors.js';
import type { LockBackend } from '../lock-backend.js';
import { RENEW_DEADLINE_MARGIN_FRACTION } from '../lock.constants.js';
import { LockService } from '../lock.service.js';
import { stall } from './stall.js';

/** What every lock backend must do; run once per adapter. */
export function lockBackendContract(
  adapter: string,
  setup: () => Promise<{ backend: LockBackend; close(): Promise<void> }>,
): void {
  // A hang guard (each case takes at most a stall of 1.5 s plus a few round trips).
  describe(`lock backend contract: ${adapter}`, { timeout: 60_000 }, () => {
    let subject: { backend: LockBackend; close(): Promise<void> };
    before(async () => (subject = await setup()));
    after(() => subject?.close());
    const key = () => `k-${randomUUID()}`;

    it('grants a free key with a token, refuses a held one', async () => {
      const k = key();
      const token = await subject.backend.acquire(k, 'a', 5000);
      assert.equal(typeof token, 'bigint');
      assert.equal(await subject.backend.acquire(k, 'b', 5000), undefined);
    });

    it('fencing tokens of a key strictly increase across holders', async () => {
      const k = key();
      let last = 0n;
      for (const owner of ['a', 'b', 'c']) {
        const token = (await subject.backend.acquire(k, owner, 5000))!;
        assert.ok(token > last);
        last = token;
        await subject.backend.release(k, owner);
      }
    });

    it('only the owner extends or releases; an expired lease is free and cannot be extended', async () => {
      const k = key();
      // A lease long enough for the round trips below on a loaded machine (100 ms was not),
      // then shortened by the owner's extend to expire on purpose. (Redlock counts a grant only
      // if the round trip left some of the TTL: shortMs must outlast a slow one too.)
      const longMs = 5000;
      const shortMs = 500;
      await subject.backend.acquire(k, 'a', longMs);
      assert.equal(await subject.backend.extend(k, 'b', longMs), false);
      await subject.backend.release(k, 'b');
      assert.equal(
        await subject.backend.acquire(k, 'b', longMs),
        undefined,
        'a stranger’s release did nothing',
      );
      assert.equal(await subject.backend.extend(k, 'a', shortMs), true);
      await sleep(shortMs * 1.5);
      assert.equal(await subject.backend.extend(k, 'a', shortMs), false, 'expired');
      await subject.backend.release(k, 'a'); // an expired lease counts as released
      assert.notEqual(await subject.backend.acquire(k, 'b', longMs), undefined);
    });

    // A holder that stalls past its renew deadline resumes inside its own work first (its own
    // short timer fires before the lease's renewal): it must see the lease gone right there.
    it('a holder stalled past its lease sees it lost the moment its code runs again (held, signal, reason, abort event)', async () => {
      const ttlMs = 1000;
      const stallMs = ttlMs * 1.5; // past the renew deadline (0.8 × TTL) and the TTL itself
      const k = key();
      const seen = await new LockService(subject.backend).using(
        k,
        async (signal, lock) => {
          let events = 0;
          signal.addEventListener('abort', () => events++);
          assert.equal(lock.held, true, 'held before the stall');
          stall(stallMs);
          // The code resumes before any timer can run: a microtask, not a timer of its own
          // (one may be due after the lease's renew timer on a slow machine — a flake).
          await Promise.resolve();
          const eventsBeforeReading = events;
          return {
            eventsBeforeReading,
            aborted: signal.aborted,
            eventsAfterReading: events,
            reason: signal.reason as unknown,
            held: lock.held,
            thrown: (() => {
              try {
                signal.throwIfAborted();
                return undefined;
              } catch (error) {
                return error;
              }
            })(),
          };
        },
        { ttlMs },
      );
      assert.equal(seen.eventsBeforeReading, 0, 'its own timer ran before the lease was told');
      assert.equal(seen.aborted, true, 'signal.aborted');
      assert.equal(seen.eventsAfterReading, 1, 'the abort event fired at the read');
      assert.ok(seen.reason instanceof LockLostError, String(seen.reason));
      assert.equal(seen.reason.why, 'unconfirmed');
      assert.equal(seen.held, false, 'lock.held');
      assert.equal(seen.thrown, seen.reason, 'throwIfAborted() throws the reason');
      assert.ok(stallMs > ttlMs * (1 - RENEW_DEADLINE_MARGIN_FRACTION));
      // The backend agrees: the lease ran out while the holder stalled.
      assert.notEqual(await subject.backend.acquire(k, 'next', ttlMs), undefined, 'the key is free');
    });
  });
}
