import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';

import { RegistryUnavailableError } from '../discovery.errors.js';
import type { ServiceInstance } from '../service-instance.js';
import { watchWithRetry } from '../watch-with-retry.js';
import type { DiscoveryContractSubject } from './discovery.contract.js';
import { contractInstance } from './discovery.contract.js';
import { until, within } from './until.js';

/** Collects a watch's lists and how it ended, in the background. */
function follow(lists: AsyncIterable<ServiceInstance[]>): {
  seen: ServiceInstance[][];
  ended: Promise<{ error?: unknown }>;
} {
  const seen: ServiceInstance[][] = [];
  const ended = (async () => {
    for await (const list of lists) seen.push(list);
    return {};
  })().catch((error: unknown) => ({ error }));
  return { seen, ended };
}

const ids = (list: readonly ServiceInstance[] | undefined) => (list ?? []).map((i) => i.id).sort();

/** The registry going down and coming back (part of discoveryContract). */
export function outageContract(subjectOf: () => DiscoveryContractSubject): void {
  it('registry down: open watches throw RegistryUnavailableError, new ones fail to start, aborts still end them at once; back: watches see changes again, and watchWithRetry kept its last list and resumed', async (t) => {
    const subject = subjectOf();
    const outage = subject.outage;
    if (!outage) return t.skip('an in-process registry cannot go down');
    const { backend } = subject;
    const service = `svc-${randomUUID()}`;
    const [one, two] = [contractInstance(service, 5201), contractInstance(service, 5202)];
    await backend.register(one);
    const stop = new AbortController();
    const open = follow(backend.watch(service, { signal: stop.signal }));
    const errors: unknown[] = [];
    const retrying = follow(
      watchWithRetry(backend, service, { signal: stop.signal, onError: (error) => errors.push(error) }),
    );
    await until(() => open.seen.length === 1 && retrying.seen.length === 1, 10_000, 'the first lists');

    await outage.stop();
    try {
      const ended = await within(open.ended, outage.failWithinMs);
      assert.ok(
        ended !== 'pending' && 'value' in ended && ended.value.error instanceof RegistryUnavailableError,
        `an open watch throws RegistryUnavailableError within ${outage.failWithinMs} ms; got ${String(ended !== 'pending' && 'value' in ended ? ended.value.error : ended)}`,
      );
      const starting = await within(
        backend.watch(service)[Symbol.asyncIterator]().next(),
        outage.failWithinMs,
      );
      assert.ok(
        starting !== 'pending' && 'error' in starting && starting.error instanceof RegistryUnavailableError,
        'a watch cannot start while the registry is down',
      );
      await assert.rejects(backend.instances(service), RegistryUnavailableError);
      if (backend.services && backend.catalog) {
        await assert.rejects(backend.services(), RegistryUnavailableError, 'services() while down');
        await assert.rejects(backend.catalog(service), RegistryUnavailableError, 'catalog() while down');
      }
      const controller = new AbortController();
      const aborted = backend.watch(service, { signal: controller.signal })[Symbol.asyncIterator]().next();
      controller.abort();
      assert.deepEqual(await within(aborted, subject.endsWithinMs), {
        value: { value: undefined, done: true },
      });
      await until(() => errors.length >= 1, outage.failWithinMs, 'watchWithRetry to report the outage');
      assert.equal(open.seen.length, 1, 'an outage is not reported as a list');
      assert.deepEqual(retrying.seen.map(ids), [[one.id]], 'watchWithRetry keeps its last list');
      // (Once the registry is back it may report the instance missing until it registers again,
      // after a wiped restart: watchWithRetry reports what the registry says.)
    } finally {
      await outage.start();
    }

    await until(
      async () => ids(await backend.instances(service)).join() === one.id,
      outage.recoverWithinMs,
      'the instance to be listed again',
    );
    const fresh = backend.watch(service, { signal: stop.signal })[Symbol.asyncIterator]();
    const nextList = async () => {
      const next = await fresh.next();
      assert.ok(!next.done, 'the new watch ended');
      return next.value;
    };
    assert.deepEqual(ids(await nextList()), [one.id], 'a new watch starts with the current list');
    await backend.register(two);
    assert.deepEqual(ids(await nextList()), ids([one, two]), 'changes flow again');
    await until(
      () => ids(retrying.seen.at(-1)).join() === ids([one, two]).join(),
      outage.recoverWithinMs,
      'watchWithRetry to resume',
    );
    stop.abort();
    assert.deepEqual(await retrying.ended, {}, 'watchWithRetry ends without an error when aborted');
    await backend.deregister(one);
    await backend.deregister(two);
  });
}
