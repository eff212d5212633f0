import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Inject, Injectable, Module, Scope, SetMetadata } from '@nestjs/common';
import { Interval, ScheduleModule } from '@nestjs/schedule';
import { startContext, waitFor } from '@nestmesh/testing';

import { InvalidLockOptionsError, LockHeldError, MethodNotBoundError } from '../coordination.errors.js';
import { MemoryLockBackend } from './adapters/memory/memory.lock-backend.js';
import { LockBackend } from './lock-backend.js';
import { LockModule } from './lock.module.js';
import { currentLock, Locked } from './locked.decorator.js';

@Injectable()
class Counter {
  value = 0;
  active = 0;
  maxActive = 0;
  calls = 0;

  @Locked((sku: string) => `sku:${sku}`, { waitMs: 5000, ttlMs: 1000 })
  async increment(_sku: string): Promise<bigint> {
    this.calls++;
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

  @Locked(() => 'tagged')
  @SetMetadata('tag', 'kept')
  async tagged(): Promise<void> {}
}

const INTERVAL_MS = 20;
/** Two firings of each job, with a 100× margin for a loaded machine's late timers. */
const TICKS_TIMEOUT_MS = 2 * INTERVAL_MS * 100;

/** What a scheduled job saw inside: the lock it ran under, and the backend's holder of its key. */
interface Tick {
  token: bigint | undefined;
  holderToken: bigint | undefined;
}

@Injectable()
class ScheduledJobs {
  readonly ticks: Record<'intervalAbove' | 'intervalBelow', Tick[]> = {
    intervalAbove: [],
    intervalBelow: [],
  };

  constructor(@Inject(LockBackend) private readonly backend: MemoryLockBackend) {}

  @Interval(INTERVAL_MS)
  @Locked(() => 'job:interval-above', { ttlMs: 1000 })
  async intervalAbove(): Promise<void> {
    await this.record('intervalAbove', 'job:interval-above');
  }

  @Locked(() => 'job:interval-below', { ttlMs: 1000 })
  @Interval(INTERVAL_MS)
  async intervalBelow(): Promise<void> {
    await this.record('intervalBelow', 'job:interval-below');
  }

  private async record(job: keyof ScheduledJobs['ticks'], key: string): Promise<void> {
    const holder = await this.backend.holder(key);
    this.ticks[job].push({ token: currentLock()?.token, holderToken: holder?.token });
  }
}

describe('@Locked', { timeout: 60_000 }, () => {
  it('runs the method under the lock its arguments name, with the lock available inside', async () => {
    @Module({ imports: [LockModule.forRoot({ url: [] })], providers: [Counter] })
    class App {}
    const app = await startContext(App);
    try {
      const counter = app.get(Counter);
      const tokens = await Promise.all(Array.from({ length: 20 }, () => counter.increment('A')));
      assert.equal(counter.value, 20, 'no lost update');
      assert.equal(counter.maxActive, 1, 'never two at once');
      assert.equal(new Set(tokens.map(String)).size, 20, 'a fresh fencing token per call');
      assert.equal(currentLock(), undefined, 'no lock outside the method');

      const running = counter.exclusive(200);
      await assert.rejects(counter.exclusive(0), LockHeldError, 'waitMs 0: a held lock fails fast');
      await running;
      // The method itself (the gated one) carries the metadata, as SetMetadata put it there.
      const tagged = Object.getOwnPropertyDescriptor(Counter.prototype, 'tagged')?.value as object;
      assert.equal(Reflect.getMetadata('tag', tagged), 'kept', 'other decorators’ metadata');
    } finally {
      await app.close();
    }
  });

  for (const order of ['ScheduleModule first', 'LockModule first'] as const) {
    it(`with @nestjs/schedule (${order}), an @Interval job holds its lock in either decorator order: currentLock() inside, the backend shows its key held`, async () => {
      const schedule = ScheduleModule.forRoot();
      const locks = LockModule.forRoot({ backend: new MemoryLockBackend() });
      @Module({
        imports: order === 'ScheduleModule first' ? [schedule, locks] : [locks, schedule],
        providers: [ScheduledJobs],
      })
      class App {}
      const app = await startContext(App);
      try {
        const { ticks } = app.get(ScheduledJobs);
        await waitFor(() => ticks.intervalAbove.length >= 2 && ticks.intervalBelow.length >= 2, {
          timeoutMs: TICKS_TIMEOUT_MS,
          description: 'two firings of each job',
        });
        for (const [job, seen] of Object.entries(ticks)) {
          for (const tick of seen) {
            assert.notEqual(tick.token, undefined, `${job} ran without a lock`);
            assert.equal(tick.holderToken, tick.token, `${job}: the backend shows the key held by its lock`);
          }
        }
      } finally {
        await app.close();
      }
    });
  }

  it('an instance no app has bound (outside an app, or before init) rejects with MethodNotBoundError and does not run', async () => {
    const counter = new Counter();
    await assert.rejects(counter.increment('A'), (error: unknown) => {
      assert.ok(error instanceof MethodNotBoundError);
      assert.equal(error.code, 'METHOD_NOT_BOUND');
      assert.equal(error.method, 'Counter.increment');
      assert.match(error.message, /^lock: Counter\.increment is @Locked, but/);
      return true;
    });
    assert.equal(counter.calls, 0);
  });

  it('a request-scoped provider with a @Locked method: the app refuses to start', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @Locked(() => 'per-request')
      async run(): Promise<void> {}
    }
    @Module({ imports: [LockModule.forRoot({ url: [] })], providers: [PerRequest] })
    class App {}
    await assert.rejects(startContext(App), MethodNotBoundError);
  });

  it('options that cannot work are refused when the class is defined', () => {
    assert.throws(() => Locked(() => 'k', { ttlMs: 1 }), InvalidLockOptionsError);
    assert.throws(() => Locked(() => 'k', { waitMs: -1 }), InvalidLockOptionsError);
  });
});
