import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type Renewable, RenewalScheduler } from './renewal-scheduler.js';

function item(inMs: number, renewed: string[], name: string): Renewable {
  return { renewAt: performance.now() + inMs, renewNow: () => renewed.push(name) };
}

describe('RenewalScheduler (one timer for every lease)', () => {
  it('renews each item once, not before its time, earliest first, including one added earlier than the armed time', async () => {
    const scheduler = new RenewalScheduler();
    const renewed: string[] = [];
    const late = item(120, renewed, 'late');
    scheduler.add(late);
    const early = item(30, renewed, 'early'); // earlier than the armed timer: re-arms
    scheduler.add(early);
    const dropped = item(60, renewed, 'dropped');
    scheduler.add(dropped);
    scheduler.delete(dropped); // released before its renewal: never renewed
    await new Promise((resolve) => setTimeout(resolve, 70));
    assert.deepEqual(renewed, ['early']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(renewed, ['early', 'late']);
    assert.ok(performance.now() >= late.renewAt);
  });

  it('an item re-added from its own renewal is renewed again', async () => {
    const scheduler = new RenewalScheduler();
    let count = 0;
    const looping: Renewable & { renewAt: number } = {
      renewAt: performance.now() + 10,
      renewNow() {
        count++;
        if (count < 3) {
          this.renewAt = performance.now() + 10;
          scheduler.add(this);
        }
      },
    };
    scheduler.add(looping);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(count, 3);
  });
});
