import type { Redis } from 'ioredis';

import { primariesOf, type RedisClient } from './redis.client.js';

import { abortable } from '../../../inspection.js';
import { createRedisClient } from './redis.connection.js';
/** Keys asked for per SCAN step: small steps keep each one short for Redis. */
const SCAN_COUNT = 200;

/**
 * The connection of an inspector: made on the first read (creating an inspector never waits
 * for Redis), and while Redis is away a read fails at once or at `timeoutMs` instead of
 * queueing; ioredis reconnects in the background, so reads work again once Redis is back.
 */
export function inspectionClient(url: string, timeoutMs: number): RedisClient {
  const client = createRedisClient(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
  });
  client.on('error', () => undefined); // surfaced per read, as the lib's typed error
  return client;
}

/** `text` for a MATCH pattern: Redis globs treat `* ? [ ] \` specially. */
export function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/**
 * Every key matching `pattern`, by SCAN: never KEYS, which blocks Redis for the whole
 * keyspace. On a cluster every primary is scanned in turn (each holds its slots' keys only).
 * `read` gets each step's keys and the connection to the node that holds them (so that their
 * values are read in one pipeline per step: a cluster pipeline takes one slot only). Aborting
 * `signal` rejects with its reason at once.
 */
export async function scanKeys(
  client: RedisClient,
  pattern: string,
  read: (keys: string[], node: Redis) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  for (const node of await abortable(primariesOf(client), signal)) {
    let cursor = '0';
    do {
      signal?.throwIfAborted();
      const [next, keys] = await abortable(node.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT), signal);
      if (keys.length > 0) await abortable(read(keys, node), signal);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** A pipeline's answers, or its first error thrown. */
export function answers(results: [Error | null, unknown][] | null): unknown[] {
  return (results ?? []).map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
