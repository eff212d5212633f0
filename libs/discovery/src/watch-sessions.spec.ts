import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { RegistryUnavailableError } from './discovery.errors.js';
import type { ServiceInstance } from './service-instance.js';
import { type WatchFeed, WatchSessions } from './watch-sessions.js';

const instance = (id: string, port = 1): ServiceInstance => ({
  id,
  name: 'svc',
  address: '127.0.0.1',
  port,
  tags: [],
  metadata: {},
});

const ids = (list: readonly ServiceInstance[]) => list.map(({ id }) => id);

/** A watch whose feed the test drives by hand. */
function open(sessions: WatchSessions, signal?: AbortSignal) {
  let feed: WatchFeed | undefined;
  const lists = sessions.run(signal, (given) => void (feed = given));
  return {
    lists,
    /** The feed, once the producer has started (it starts on the first `next()`). */
    feed: () => {
      assert.ok(feed, 'the producer has started');
      return feed;
    },
  };
}

/** A watch whose consumer has taken `list`, and its feed. */
async function watching(list: ServiceInstance[]) {
  const watch = open(new WatchSessions());
  const first = watch.lists.next();
  await Promise.resolve();
  const feed = watch.feed();
  feed.publish(list);
  assert.deepEqual(ids((await first).value as ServiceInstance[]), ids(list));
  return { lists: watch.lists, feed };
}

describe('WatchSessions', { timeout: 10_000 }, () => {
  it('gives a consumer busy through a burst only the newest list', async () => {
    const watch = await watching([instance('a')]);
    // A mass restart while the consumer was busy: hundreds of events, one list taken.
    for (let count = 1; count <= 300; count++) {
      watch.feed.publish(Array.from({ length: count }, (_, index) => instance(`i${index}`)));
    }
    const next = await watch.lists.next();
    assert.equal((next.value as ServiceInstance[]).length, 300);
    await watch.lists.return(undefined);
  });

  it('never hands a consumer a list equal to the last one it got, even after a change came and went', async () => {
    const watch = await watching([instance('a'), instance('b')]);
    const { feed } = watch;
    // The same list again (another array, another order), and b leaving and coming back
    // before the consumer looked: nothing changed for it.
    feed.publish([instance('b'), instance('a')]);
    feed.publish([instance('a')]);
    feed.publish([instance('a'), instance('b')]);
    // b moved to another port: a change.
    const moved = watch.lists.next();
    await Promise.resolve();
    feed.publish([instance('a'), instance('b', 2)]);
    const value = (await moved).value as ServiceInstance[];
    assert.deepEqual(
      value.map(({ id, port }) => [id, port]),
      [
        ['a', 1],
        ['b', 2],
      ],
      'the first list the consumer gets after the repeats is the change',
    );
    await watch.lists.return(undefined);
  });

  it('throws a failure to the consumer and tells the producer to stop', async () => {
    const watch = await watching([instance('a')]);
    const { feed } = watch;
    feed.fail(new RegistryUnavailableError('test', 'watching', 'down'));
    await assert.rejects(watch.lists.next(), RegistryUnavailableError);
    assert.equal(feed.signal.aborted, true);
  });

  it('ends at once on abort and on close(), and a later watch ends at once', async () => {
    const sessions = new WatchSessions();
    const abort = new AbortController();
    const aborted = open(sessions, abort.signal);
    const waiting = aborted.lists.next();
    await Promise.resolve();
    abort.abort();
    assert.equal((await waiting).done, true);
    assert.equal(aborted.feed().signal.aborted, true);

    const closed = open(sessions);
    const pending = closed.lists.next();
    await Promise.resolve();
    sessions.close();
    assert.equal((await pending).done, true);
    assert.equal(closed.feed().signal.aborted, true);
    assert.equal((await open(sessions).lists.next()).done, true);
  });
});
