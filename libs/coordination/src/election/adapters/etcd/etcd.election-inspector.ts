import { etcdAuthFailure, type EtcdConnection } from '@nestmesh/common';
import type { Etcd3 } from 'etcd3';

import { ElectionUnavailableError } from '../../../coordination.errors.js';
import { abortable, failureText } from '../../../inspection.js';
import { PollingElectionInspector, type ElectionGroupState } from '../../election-inspector.js';
import { validateName } from '../../leader-election.js';
import { createEtcdClient } from './etcd.client.js';
import { electionPrefix, readLeader, sinceKey } from './etcd.keys.js';

const CANDIDATES = electionPrefix('');
const RECORDS = sinceKey('');

/**
 * etcd election inspection, on EtcdLeaderElection's keys: the candidates of a group under
 * `nestmesh/election/<group>/` (the oldest leads; its create revision is the epoch) and the
 * winner's record `nestmesh/election-since/<group>` = `<epoch>:<ms>` (under no lease: it keeps
 * the last epoch while nobody leads). A group of Go's concurrency.Election under the same
 * prefix shows too, with no `since` (it writes no record).
 */
export class EtcdElectionInspector extends PollingElectionInspector {
  private readonly client: Etcd3;

  constructor(
    /** The URL as shown in errors (redacted). */
    private readonly name: string,
    connection: EtcdConnection,
    private readonly timeoutMs: number,
  ) {
    super();
    this.client = createEtcdClient(connection, timeoutMs);
  }

  async groups({ signal }: { signal?: AbortSignal } = {}): Promise<string[]> {
    signal?.throwIfAborted();
    try {
      const [candidates, records] = await abortable(
        Promise.all([
          this.client.getAll().prefix(CANDIDATES).options(this.deadline()).keys(),
          this.client.getAll().prefix(RECORDS).options(this.deadline()).keys(),
        ]),
        signal,
      );
      const groups = new Set([
        ...candidates.map((key) => key.slice(CANDIDATES.length, key.lastIndexOf('/'))),
        ...records.map((key) => key.slice(RECORDS.length)),
      ]);
      return [...groups].filter(Boolean).sort();
    } catch (error) {
      throw this.unavailable('*', error, signal);
    }
  }

  /** The oldest candidate key, then the record at the same revision. */
  async group(
    name: string,
    { signal }: { signal?: AbortSignal } = {},
  ): Promise<ElectionGroupState | undefined> {
    validateName('group', name);
    signal?.throwIfAborted();
    try {
      return await abortable(this.read(name), signal);
    } catch (error) {
      throw this.unavailable(name, error, signal);
    }
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }

  private async read(group: string): Promise<ElectionGroupState | undefined> {
    const { leader, recordedEpoch } = await readLeader(this.client, group, () => this.deadline());
    if (!leader) return recordedEpoch === undefined ? undefined : { group, lastEpoch: recordedEpoch };
    const lastEpoch =
      recordedEpoch !== undefined && recordedEpoch > leader.epoch ? recordedEpoch : leader.epoch;
    return { group, leader, lastEpoch };
  }

  private deadline(): { deadline: number } {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /**
   * An abort's reason as is; refused credentials BackendAuthError; anything else
   * ElectionUnavailableError naming the URL (redacted).
   */
  private unavailable(group: string, error: unknown, signal?: AbortSignal): unknown {
    if (signal?.aborted) return signal.reason;
    const refused = etcdAuthFailure(this.name, error);
    if (refused) return refused;
    return new ElectionUnavailableError(group, new Error(failureText(this.name, error)));
  }
}
