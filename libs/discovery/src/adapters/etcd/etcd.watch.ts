import type { Etcd3, IKeyValue, Watcher } from 'etcd3';

import type { ServiceInstance } from '../../service-instance.js';
import type { WatchFeed } from '../../watch-sessions.js';

export interface FollowOptions {
  /** The instance a stored value holds, or none (not ours, or corrupt). */
  parse: (value: string) => ServiceInstance[];
  /** The error the watch fails with (RegistryUnavailableError, or BackendAuthError). */
  unavailable: (error: unknown) => Error;
  /** How long a broken stream may take to resume before the watch fails, in ms. */
  resumeWithinMs: number;
}

/**
 * Lists `prefix`, publishes it, then follows it from the next revision, publishing the whole
 * list after each change. Fails the feed when the listing fails, when etcd cancels the watch
 * (a compacted revision), or when a broken stream has not resumed in `resumeWithinMs`.
 */
export async function followPrefix(
  client: Etcd3,
  prefix: string,
  feed: WatchFeed,
  { parse, unavailable, resumeWithinMs }: FollowOptions,
): Promise<void> {
  let listing;
  try {
    listing = await client.getAll().prefix(prefix).exec();
  } catch (error) {
    return feed.fail(unavailable(error));
  }
  if (feed.signal.aborted) return;
  const current = new Map<string, ServiceInstance>();
  for (const kv of listing.kvs)
    for (const instance of parse(kv.value.toString())) current.set(kv.key.toString(), instance);
  const publish = () => feed.publish([...current.values()]);
  publish();
  // watcher() attaches at once; create() would wait for 'connected', forever while etcd is down.
  const watcher = client
    .watch()
    .prefix(prefix)
    .startRevision(String(Number(listing.header.revision) + 1))
    .watcher();
  // Not awaited: with etcd down the cancel request itself would wait for it.
  feed.signal.addEventListener('abort', () => void watcher.cancel().catch(() => undefined), { once: true });
  watcher.on('put', (kv: IKeyValue) => {
    const [instance] = parse(kv.value.toString());
    if (instance) current.set(kv.key.toString(), instance);
    publish();
  });
  watcher.on('delete', (kv: IKeyValue) => {
    current.delete(kv.key.toString());
    publish();
  });
  failUnlessResumed(watcher, feed, (error) => feed.fail(unavailable(error)), resumeWithinMs);
  watcher.on('error', (error: Error) => feed.fail(unavailable(error)));
}

/**
 * A broken watch stream is not yet a failure: etcd3 opens it again on another member (a
 * cluster that lost one) and resumes from the revision after the last event it delivered, so
 * nothing is lost or seen twice. The watch fails only when it has not resumed within
 * `resumeWithinMs` of the break (etcd down, no member reachable, no member with a leader).
 */
function failUnlessResumed(
  watcher: Watcher,
  feed: WatchFeed,
  fail: (error: Error) => void,
  resumeWithinMs: number,
): void {
  let pending: NodeJS.Timeout | undefined;
  const resumed = () => {
    clearTimeout(pending);
    pending = undefined;
  };
  watcher.on('connected', resumed);
  feed.signal.addEventListener('abort', resumed, { once: true });
  watcher.on('disconnected', (error: Error) => {
    if (pending !== undefined || feed.signal.aborted) return; // bounded from the first break
    pending = setTimeout(() => fail(error), resumeWithinMs);
  });
}
