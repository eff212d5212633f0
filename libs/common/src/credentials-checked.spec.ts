import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { credentialsCheckedOrClosed } from './credentials-checked.js';

describe('credentialsCheckedOrClosed', { timeout: 10_000 }, () => {
  it('returns the resource once its check passed, and leaves it open', async () => {
    let closed = false;
    const resource = { credentialsChecked: () => Promise.resolve(), close: () => (closed = true) };
    assert.equal(await credentialsCheckedOrClosed(resource), resource);
    assert.equal(closed, false);
  });

  it('closes the resource (awaiting an async close) before rethrowing the check error', async () => {
    const events: string[] = [];
    const refused = new Error('refused');
    const resource = {
      credentialsChecked: () => Promise.reject(refused),
      close: async () => {
        await Promise.resolve();
        events.push('closed');
      },
    };
    await assert.rejects(credentialsCheckedOrClosed(resource), (error) => {
      events.push('thrown');
      return error === refused;
    });
    assert.deepEqual(events, ['closed', 'thrown']);
  });
});
