import type { RedisClient } from '../../../lock/adapters/redis/redis.client.js';

import { ElectionUnavailableError } from '../../../coordination.errors.js';
import { abortable, failureText } from '../../../inspection.js';
import { redisAuthFailure } from '../../../lock/adapters/redis/redis.connection.js';
import { globEscape, inspectionClient, scanKeys } from '../../../lock/adapters/redis/redis.inspection.js';
import { PollingElectionInspector, type ElectionGroupState } from '../../election-inspector.js';
import { sinceOf, validateName, withSince } from '../../leader-election.js';
import { candidateOf } from '../../lease-election.js';
import { ELECTION_KEY_PREFIX } from './redis.election.js';

/**
 * Redis election inspection, on RedisLeaderElection's keys: `nestmesh:election:{<group>}` (the
 * lease: `<candidate>/<uuid>`), `…:fence` (the last epoch; it never expires, so it is how a
 * group is known) and `…:since` (`<epoch>:<ms>`, written by the winner, valid while its epoch
 * is the fence's).
 */
export class RedisElectionInspector extends PollingElectionInspector {
  private readonly client: RedisClient;

  constructor(
    private readonly url: string,
    timeoutMs: number,
  ) {
    super();
    this.client = inspectionClient(url, timeoutMs);
  }

  /** SCAN (never KEYS) over the fence counters. */
  async groups({ signal }: { signal?: AbortSignal } = {}): Promise<string[]> {
    const groups: string[] = [];
    const fence = /^\{(.*)\}:fence$/;
    try {
      await scanKeys(
        this.client,
        `${globEscape(ELECTION_KEY_PREFIX)}{*}:fence`,
        (keys) => {
          for (const key of keys) {
            const group = fence.exec(key.slice(ELECTION_KEY_PREFIX.length))?.[1];
            if (group) groups.push(group);
          }
          return Promise.resolve();
        },
        signal,
      );
    } catch (error) {
      throw this.unavailable('*', error, signal);
    }
    return groups.sort();
  }

  /** One MGET of the group's three keys (one slot): a consistent reading. */
  async group(
    name: string,
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<ElectionGroupState | undefined> {
    validateName('group', name);
    signal?.throwIfAborted();
    const base = `${ELECTION_KEY_PREFIX}{${name}}`;
    let values: (string | null)[];
    try {
      values = await abortable(this.client.mget(base, `${base}:fence`, `${base}:since`), signal);
    } catch (error) {
      throw this.unavailable(name, error, signal);
    }
    const [owner, fence, record] = values;
    if (fence === null) return undefined;
    const lastEpoch = BigInt(fence);
    if (owner === null) return { group: name, lastEpoch };
    const leader = withSince(
      { candidateId: candidateOf(owner), epoch: lastEpoch },
      sinceOf(record, lastEpoch),
    );
    return { group: name, leader, lastEpoch };
  }

  close(): Promise<void> {
    this.client.disconnect();
    return Promise.resolve();
  }

  /**
   * An abort's reason as is; a refused password BackendAuthError; anything else
   * ElectionUnavailableError naming the URL (redacted).
   */
  private unavailable(group: string, error: unknown, signal?: AbortSignal): unknown {
    if (signal?.aborted) return signal.reason;
    const refused = redisAuthFailure(this.client);
    if (refused) return refused;
    return new ElectionUnavailableError(group, new Error(failureText(this.url, error)));
  }
}
