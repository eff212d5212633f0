import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Injectable, Module } from '@nestjs/common';
import { startContext } from '@nestmesh/testing';

import { LockHeldError } from '../coordination.errors.js';
import { LockModule } from './lock.module.js';
import { currentLock, Locked } from './locked.decorator.js';

@Injectable()
class Counter {
  value = 0;
  active = 0;
  maxActive = 0;

  @Locked((sku: string) => `sku:${sku}`, { waitMs: 5000, ttlMs: 1000 })
  async increment(_sku: string): Promise<bigint> {
    this.maxActive = Math.max(this.maxActive, ++this.active);
    const before = this.value;
    await new Promise((resolve) => setTimeout(resolve, 2));
    this.value = before + 1;
    this.active--;
    assert.ok(currentLock()?.signal.aborted === false);
    return currentLock()!.token;
  }

  @Locked(() => 'exclusive')
  async exclusive(ms: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

describe('@Locked', () => {
  it('runs the method under the lock its arguments name, with the lock available inside', async () => {
    @Module({ imports: [LockModule.forRoot({ url: [] })], providers: [Counter] })
    class App {}
    const app = await startContext(App);
    const counter = app.get(Counter);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => counter.increment('A')));
    assert.equal(counter.value, 20, 'no lost update');
    assert.equal(counter.maxActive, 1, 'never two at once');
    assert.equal(new Set(tokens.map(String)).size, 20, 'a fresh fencing token per call');
    assert.equal(currentLock(), undefined, 'no lock outside the method');

    const running = counter.exclusive(200);
    await assert.rejects(counter.exclusive(0), LockHeldError, 'waitMs 0: a held lock fails fast');
    await running;
    await app.close();
  });
});
