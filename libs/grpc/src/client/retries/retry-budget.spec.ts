import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RetryBudget } from './retry-budget.js';

function budgetAt(settings: { ratio: number; minRetriesPerSecond: number; windowMs: number }) {
  let time = 5_000;
  const budget = new RetryBudget(settings, () => time);
  return { budget, advance: (ms: number) => (time += ms) };
}

/** Retries taken until the budget refuses one. */
function drain(budget: RetryBudget): number {
  let taken = 0;
  while (budget.tryRetry()) taken++;
  return taken;
}

describe('RetryBudget', { timeout: 10_000 }, () => {
  it('allows ratio × requests + the floor of the window, then refuses', () => {
    const { budget } = budgetAt({ ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000 });
    for (let request = 0; request < 100; request++) budget.recordRequest();
    // 20 % of 100 + 1/s over 10 s.
    assert.equal(drain(budget), 30);
    budget.recordRequest();
    assert.equal(budget.tryRetry(), false, '0.2 of a retry is not a retry');
    for (let request = 0; request < 4; request++) budget.recordRequest();
    assert.equal(budget.tryRetry(), true, 'five more requests earn one');
  });

  it('with no traffic and no floor, refuses every retry', () => {
    const { budget } = budgetAt({ ratio: 0.2, minRetriesPerSecond: 0, windowMs: 10_000 });
    assert.equal(budget.tryRetry(), false);
  });

  it('forgets requests and retries that left the window', () => {
    const { budget, advance } = budgetAt({ ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1_000 });
    for (let request = 0; request < 10; request++) budget.recordRequest();
    assert.equal(drain(budget), 5);
    advance(500);
    assert.equal(budget.tryRetry(), false, 'half a window later the spent retries still count');
    advance(600);
    assert.equal(budget.tryRetry(), false, 'a window later the requests are gone too');
    for (let request = 0; request < 4; request++) budget.recordRequest();
    assert.equal(drain(budget), 2, 'the old retries no longer count against new requests');
  });

  it('slides slice by slice: a request half a window old still counts', () => {
    const { budget, advance } = budgetAt({ ratio: 1, minRetriesPerSecond: 0, windowMs: 1_000 });
    budget.recordRequest();
    advance(400);
    budget.recordRequest();
    advance(700);
    // The first request left the window, the second did not.
    assert.equal(drain(budget), 1);
  });
});
