import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import type { LockBackend } from '../lock-backend.js';

/** What every lock backend must do; run once per adapter. */
export function lockBackendContract(
  adapter: string,
  setup: () => Promise<{ backend: LockBackend; close(): Promise<void> }>,
): void {
  describe(`lock backend contract: ${adapter}`, () => {
    let subject: { backend: LockBackend; close(): Promise<void> };
    before(async () => (subject = await setup()));
    after(() => subject?.close());
    const key = () => `k-${randomUUID()}`;

    it('grants a free key with a token, refuses a held one', async () => {
      const k = key();
      const token = await subject.backend.acquire(k, 'a', 1000);
      assert.equal(typeof token, 'bigint');
      assert.equal(await subject.backend.acquire(k, 'b', 1000), undefined);
    });

    it('fencing tokens of a key strictly increase across holders', async () => {
      const k = key();
      let last = 0n;
      for (const owner of ['a', 'b', 'c']) {
        const token = (await subject.backend.acquire(k, owner, 1000))!;
        assert.ok(token > last);
        last = token;
        await subject.backend.release(k, owner);
      }
    });

    it('only the owner extends or releases; an expired lease is free and cannot be extended', async () => {
      const k = key();
      await subject.backend.acquire(k, 'a', 100);
      assert.equal(await subject.backend.extend(k, 'b', 100), false);
      await subject.backend.release(k, 'b');
      assert.equal(await subject.backend.acquire(k, 'b', 100), undefined, 'a stranger’s release did nothing');
      assert.equal(await subject.backend.extend(k, 'a', 100), true);
      await sleep(150);
      assert.equal(await subject.backend.extend(k, 'a', 100), false, 'expired');
      await subject.backend.release(k, 'a'); // an expired lease counts as released
      assert.notEqual(await subject.backend.acquire(k, 'b', 100), undefined);
    });
  });
}
