import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RegistryUnavailableError } from './discovery.errors.js';
import type { Discovery } from './discovery.js';
import type { ServiceInstance } from './service-instance.js';
import { watchWithRetry } from './watch-with-retry.js';

const instance = (id: string): ServiceInstance => ({
  id,
  name: 'svc',
  address: '127.0.0.1',
  port: 1,
  tags: [],
  metadata: {},
});

/** A Discovery whose successive watches yield the scripted lists, then fail or end. */
function scripted(...watches: { lists: ServiceInstance[][]; then: 'fail' | 'end' | 'hang' }[]): Discovery & {
  started: number;
} {
  const discovery = {
    started: 0,
    instances: () => Promise.resolve([]),
    async *watch(_name: string, { signal }: { signal?: AbortSignal } = {}) {
      const script = watches[discovery.started++] ?? { lists: [], then: 'hang' as const };
      yield* script.lists;
      if (script.then === 'fail') throw new RegistryUnavailableError('scripted', 'watching', 'down');
      if (script.then === 'hang' && !signal?.aborted) {
        await new Promise((resolve) => signal?.addEventListener('abort', resolve, { once: true }));
      }
    },
  };
  return discovery;
}

describe('watchWithRetry', { timeout: 10_000 }, () => {
  it('re-watches after a failure, reports it with the delay, and skips a repeat of the last list', async () => {
    const [a, b] = [instance('a'), instance('b')];
    const discovery = scripted(
      { lists: [[a]], then: 'fail' },
      { lists: [[a], [a, b]], then: 'fail' },
      { lists: [[a, b]], then: 'end' },
    );
    const errors: [unknown, number][] = [];
    const seen: string[][] = [];
    // maxMs far above the test's length: the backoff only starts over after a watch lived that long.
    const backoff = { initialMs: 1, maxMs: 10_000, jitter: 0 };
    for await (const list of watchWithRetry(discovery, 'svc', {
      backoff,
      onError: (error, ms) => errors.push([error, ms]),
    })) {
      seen.push(list.map((i) => i.id));
    }
    assert.deepEqual(
      seen,
      [['a'], ['a', 'b']],
      'the first list of a new watch is yielded only if it changed',
    );
    assert.equal(discovery.started, 3, 'ended when a watch ended without an error (backend closed)');
    assert.ok(errors.every(([error]) => error instanceof RegistryUnavailableError));
    assert.deepEqual(
      errors.map(([, ms]) => ms),
      [1, 2],
      'backoff doubles while watches keep failing',
    );
  });

  it('an abort ends it at once, while it waits to retry as well as while it watches', async () => {
    const waiting = new AbortController();
    const retrying = watchWithRetry(scripted({ lists: [[]], then: 'fail' }), 'svc', {
      signal: waiting.signal,
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      onError: () => waiting.abort(), // aborts during the minute-long pause
    })[Symbol.asyncIterator]();
    assert.deepEqual((await retrying.next()).value, []);
    assert.equal((await retrying.next()).done, true);

    const watching = new AbortController();
    const open = watchWithRetry(scripted({ lists: [[]], then: 'hang' }), 'svc', {
      signal: watching.signal,
    })[Symbol.asyncIterator]();
    await open.next();
    const next = open.next();
    watching.abort();
    assert.equal((await next).done, true);
  });
});
