import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { waitFor } from './wait-for.js';

describe('waitFor', () => {
  it('returns the first value that is not false or undefined, after errors', async () => {
    let calls = 0;
    const value = await waitFor(() => {
      calls++;
      if (calls === 1) throw new Error('not yet');
      return calls === 2 ? false : calls;
    });
    assert.equal(value, 3);
  });

  it('fails at its deadline with the description, even when a probe never settles', async () => {
    await assert.rejects(
      waitFor(() => new Promise<boolean>(() => undefined), { timeoutMs: 50, description: 'a hung server' }),
      /timed out after 50 ms waiting for a hung server: the last probe did not settle in time/,
    );
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const waiting = waitFor(() => false, { signal: controller.signal });
    controller.abort(new Error('the test ended'));
    await assert.rejects(waiting, /the test ended/);
  });
});
