import { redactUrl } from '@nestmesh/common';
import type { RedisClient } from './redis.client.js';

import { LockUnavailableError } from '../../../coordination.errors.js';
import { abortable, failureText } from '../../../inspection.js';
import { byKey, type HeldLock, type LockInspector } from '../../lock-inspector.js';
import { redisAuthFailure } from './redis.connection.js';
import { LOCK_KEY_PREFIX } from './redis.lock-backend.js';
import { answers, globEscape, inspectionClient, scanKeys } from './redis.inspection.js';

// One lock's owner, lease left and fence, read together (both keys in one slot): a pipeline of
// plain reads could pair one holder's owner with the next holder's PTTL.
const READ_LOCK = `
local owner = redis.call('GET', KEYS[1])
if not owner then return false end
return {owner, redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2]) or false}`;

/** What one node says of one lock. */
interface NodeLock {
  readonly owner: string;
  readonly remainingMs: number;
  readonly token: bigint;
}

/**
 * Locks of RedisLockBackend (one node) or RedlockBackend (≥ 3 nodes, `quorum` = a majority):
 * SCAN over `nestmesh:lock:{*}` on every node, then per key one script reading owner, PTTL
 * and fence, pipelined per SCAN step. A lock is listed when `quorum` nodes name the same
 * owner; remainingMs is the least they report, the token the highest (Redlock raises every
 * granted node's fence to the token it issued, so the nodes of the majority agree on it).
 */
export class RedisLockInspector implements LockInspector {
  private readonly clients: RedisClient[];
  private readonly quorum: number;

  constructor(
    private readonly urls: string[],
    timeoutMs: number,
    private readonly prefix = LOCK_KEY_PREFIX,
  ) {
    this.clients = urls.map((url) => inspectionClient(url, timeoutMs));
    this.quorum = Math.floor(urls.length / 2) + 1;
  }

  async heldLocks(prefix = '', { signal }: { signal?: AbortSignal } = {}): Promise<HeldLock[]> {
    signal?.throwIfAborted();
    const settled = await Promise.allSettled(
      this.clients.map((client) => this.readNode(client, prefix, signal)),
    );
    signal?.throwIfAborted();
    const answered = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (answered.length < this.quorum) throw this.unavailable(prefix, settled);
    const held: HeldLock[] = [];
    for (const key of new Set(answered.flatMap((locks) => [...locks.keys()]))) {
      const lock = this.agreed(answered.flatMap((locks) => locks.get(key) ?? []));
      if (lock)
        held.push({ key, owner: lock.owner, fencingToken: lock.token, remainingMs: lock.remainingMs });
    }
    return byKey(held);
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.disconnect();
    return Promise.resolve();
  }

  /** The lock a majority of nodes holds for one owner (least time left, highest token), if any. */
  private agreed(locks: NodeLock[]): NodeLock | undefined {
    for (const owner of new Set(locks.map((lock) => lock.owner))) {
      const same = locks.filter((lock) => lock.owner === owner);
      if (same.length < this.quorum) continue;
      return {
        owner,
        remainingMs: Math.min(...same.map((lock) => lock.remainingMs)),
        token: same.reduce((highest, lock) => (lock.token > highest ? lock.token : highest), 0n),
      };
    }
    return undefined;
  }

  /** One node's held locks under `prefix`, by key. */
  private async readNode(
    client: RedisClient,
    prefix: string,
    signal?: AbortSignal,
  ): Promise<Map<string, NodeLock>> {
    const locks = new Map<string, NodeLock>();
    const pattern = `${globEscape(this.prefix)}{${globEscape(prefix)}*}`;
    await scanKeys(
      client,
      pattern,
      async (ownerKeys, node) => {
        const pipeline = node.pipeline();
        for (const ownerKey of ownerKeys) pipeline.eval(READ_LOCK, 2, ownerKey, `${ownerKey}:fence`);
        const read = answers(await abortable(pipeline.exec(), signal));
        ownerKeys.forEach((ownerKey, index) => {
          const lock = nodeLock(read[index]);
          const key = ownerKey.slice(this.prefix.length + 1, -1);
          if (lock && key.startsWith(prefix)) locks.set(key, lock);
        });
      },
      signal,
    );
    return locks;
  }

  /**
   * Too few nodes answered: LockUnavailableError for `<prefix>*`, naming the URLs (redacted)
   * and what each node said; BackendAuthError when a node refused the credentials.
   */
  private unavailable(prefix: string, settled: PromiseSettledResult<unknown>[]): Error {
    // A refused password is not unavailability: BackendAuthError, so the operator fixes the URL.
    const refused = this.clients.map(redisAuthFailure).find((failure) => failure !== undefined);
    if (refused) return refused;
    const nodes = settled.map((result, index) =>
      result.status === 'fulfilled'
        ? `${redactUrl(this.urls[index])}: answered`
        : failureText(this.urls[index], result.reason),
    );
    if (this.urls.length === 1) return new LockUnavailableError(`${prefix}*`, new Error(nodes[0]));
    const answered = settled.filter((result) => result.status === 'fulfilled').length;
    const cause = `no quorum: ${answered} of ${this.urls.length} nodes answered, ${this.quorum} needed (${nodes.join('; ')})`;
    return new LockUnavailableError(`${prefix}*`, new Error(cause), nodes);
  }
}

/** The script's answer as a lock; undefined when free, or when its fence is gone (as holder() says). */
function nodeLock(answer: unknown): NodeLock | undefined {
  if (!Array.isArray(answer)) return undefined;
  const [owner, pttl, token] = answer as [string, number, string | null];
  if (token === null || pttl === -2) return undefined;
  return { owner, remainingMs: pttl === -1 ? Number.POSITIVE_INFINITY : pttl, token: BigInt(token) };
}
