import { instanceListKey } from './instance-list.js';
import { LatestValueChannel } from './latest-value.channel.js';
import type { ServiceInstance } from './service-instance.js';

/** What an adapter's watch producer writes to. */
export interface WatchFeed {
  /**
   * Aborted once the watch has ended for any reason (the consumer broke out, its signal
   * aborted, the backend closed, a failure): the producer stops and releases what it holds.
   */
  readonly signal: AbortSignal;
  /**
   * Hands over the whole current list. Cheap: only the newest list is kept, and a list equal to
   * the last one the consumer got is dropped when the consumer takes it.
   */
  publish(instances: ServiceInstance[]): void;
  /** Ends the watch by throwing `error` to the consumer (a RegistryUnavailableError). */
  fail(error: Error): void;
}

/**
 * Produces one watch: publishes the current list, then the list after every change, or fails.
 * It runs in the background; its promise settling does not end the watch, `feed.fail` does
 * (a rejection counts as a failure).
 */
export type WatchProducer = (feed: WatchFeed) => void | Promise<void>;

/**
 * The open watches of one backend, run alike for every adapter so that they end alike (see
 * `Discovery`): abort and `close()` end a loop at once, whatever the producer is awaiting,
 * because the abort listener is in place before the producer starts; a failure is thrown to
 * the consumer; the producer is told to stop through `feed.signal` whichever way it ended.
 */
export class WatchSessions {
  private readonly open = new Set<() => void>();
  private closed = false;

  async *run(signal: AbortSignal | undefined, produce: WatchProducer): AsyncGenerator<ServiceInstance[]> {
    if (this.closed || signal?.aborted) return;
    const session = new AbortController();
    const channel = new LatestValueChannel<ServiceInstance[] | Error>();
    const end = () => {
      session.abort();
      channel.close();
    };
    signal?.addEventListener('abort', end, { once: true });
    this.open.add(end);
    try {
      const feed = WatchSessions.feed(session, channel);
      void Promise.resolve()
        .then(() => (session.signal.aborted ? undefined : produce(feed))) // no request for an ended watch
        .catch((error: unknown) => feed.fail(error instanceof Error ? error : new Error(String(error))));
      // Compared when taken, not when published: a burst of changes (a mass restart: hundreds
      // of events per watch) costs one comparison per list the consumer takes, not one per event.
      let lastKey: string | undefined;
      for (let next = await channel.next(); !next.done; next = await channel.next()) {
        if (next.value instanceof Error) throw next.value;
        const key = instanceListKey(next.value);
        if (key === lastKey) continue;
        lastKey = key;
        yield next.value;
      }
    } finally {
      signal?.removeEventListener('abort', end);
      this.open.delete(end);
      end();
    }
  }

  /** Ends every open watch, and every later one at once. */
  close(): void {
    this.closed = true;
    for (const end of this.open) end();
    this.open.clear();
  }

  private static feed(
    session: AbortController,
    channel: LatestValueChannel<ServiceInstance[] | Error>,
  ): WatchFeed {
    return {
      signal: session.signal,
      publish(instances) {
        if (!session.signal.aborted) channel.publish(instances);
      },
      fail(error) {
        if (session.signal.aborted) return;
        channel.publish(error); // read before the channel closes: the consumer throws it
        session.abort();
      },
    };
  }
}
