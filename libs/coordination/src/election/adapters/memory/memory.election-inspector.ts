import { promiseTry } from '@nestmesh/common';

import { PollingElectionInspector, type ElectionGroupState } from '../../election-inspector.js';
import { validateName, withSince } from '../../leader-election.js';
import { candidateOf } from '../../lease-election.js';
import { memoryElectionLeases } from './memory.scheme.js';

/** `memory://` election inspection: reads the lease table of this process's memory elections. */
export class MemoryElectionInspector extends PollingElectionInspector {
  groups({ signal }: { signal?: AbortSignal } = {}): Promise<string[]> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      return (memoryElectionLeases()?.keys() ?? []).sort();
    });
  }

  group(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<ElectionGroupState | undefined> {
    return promiseTry(() => {
      validateName('group', name);
      signal?.throwIfAborted();
      const state = memoryElectionLeases()?.state(name);
      if (!state) return undefined;
      const { holder, lastToken } = state;
      const leader =
        holder && withSince({ candidateId: candidateOf(holder.owner), epoch: holder.token }, holder.since);
      return leader ? { group: name, leader, lastEpoch: lastToken } : { group: name, lastEpoch: lastToken };
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
