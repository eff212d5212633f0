import { setTimeout as sleep } from 'node:timers/promises';

import type { WatchFeed } from '../../watch-sessions.js';
import type { ConsulClient, ConsulRequests } from './consul.client.js';
import { CONSUL_CLIENT_TIMEOUT_MARGIN_MS, CONSUL_MIN_QUERY_INTERVAL_MS } from './consul.constants.js';
import { duration, toInstance, type HealthEntry } from './consul.health.js';

/** What a watch of one registry uses. */
export interface WatchContext {
  consul: ConsulClient;
  requests: ConsulRequests;
  /** Deadline of the first, non-blocking query. */
  requestTimeoutMs: number;
  /** `wait` of blocking queries, before jitter. */
  waitMs: number;
}

/**
 * Follows the passing instances of `name` with `/v1/health/service/<name>?passing` blocking
 * queries, as Consul documents them: `index` = the last X-Consul-Index (kept per service by
 * Consul), reset to 0 when it goes backwards, never 0 twice in a row without a pause; `wait`
 * plus up to 1/16 jitter, with a client timeout above it. Publishes every answer (the feed
 * drops a list equal to the last); a failed query rejects (the watch ends with it).
 */
export async function followPassing(context: WatchContext, name: string, feed: WatchFeed): Promise<void> {
  const { consul, requests, requestTimeoutMs, waitMs } = context;
  let index = 0n;
  while (!feed.signal.aborted) {
    const started = performance.now();
    const wait = Math.round(waitMs + (Math.random() * waitMs) / 16);
    const blocking = index > 0n;
    const [response, body] = await requests.call(
      `watching ${name}`,
      (ctx) =>
        consul.health.service({
          service: name,
          passing: true,
          ...(blocking ? { index: String(index), wait: duration(wait) } : {}),
          ctx,
          timeout: blocking ? wait + CONSUL_CLIENT_TIMEOUT_MARGIN_MS : requestTimeoutMs,
        } as never),
      feed.signal,
    );
    if (feed.signal.aborted) return;
    const next = BigInt(response.headers['x-consul-index'] ?? '0');
    // Consul: an index that goes backwards means the state was reset; start over. An index
    // of 0 is never valid to block on: use 1 so the next query blocks.
    index = next < index ? 0n : next > 0n ? next : 1n;
    feed.publish((body as HealthEntry[]).map(toInstance));
    const elapsed = performance.now() - started;
    if (elapsed < CONSUL_MIN_QUERY_INTERVAL_MS) {
      await sleep(CONSUL_MIN_QUERY_INTERVAL_MS - elapsed, undefined, { signal: feed.signal }).catch(
        () => undefined,
      );
    }
  }
}
