import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { promiseTry } from './promise-try.js';

describe('promiseTry', () => {
  it('runs the function at once and resolves to its value', async () => {
    let ran = false;
    const result = promiseTry(() => {
      ran = true;
      return 42;
    });
    assert.equal(ran, true, 'ran before the first await');
    assert.equal(await result, 42);
  });

  it('turns a throw into a rejection instead of throwing at the call', async () => {
    const failure = new RangeError('bad input');
    const result = promiseTry(() => {
      throw failure;
    });
    await assert.rejects(result, (error) => error === failure);
  });

  it('adopts a returned promise, rejection included', async () => {
    assert.equal(await promiseTry(() => Promise.resolve('later')), 'later');
    await assert.rejects(
      promiseTry(() => Promise.reject(new Error('async failure'))),
      /async failure/,
    );
  });
});
