import { promiseTry } from '@nestmesh/common';

import { byKey, type HeldLock, type LockInspector } from '../../lock-inspector.js';
import { listedMemoryLockBackends } from './memory.lock-backend.js';

/** `memory://` lock inspection: the held locks of every listed memory lock backend of this process. */
export class MemoryLockInspector implements LockInspector {
  heldLocks(prefix = '', { signal }: { signal?: AbortSignal } = {}): Promise<HeldLock[]> {
    return promiseTry(() => {
      signal?.throwIfAborted();
      const held: HeldLock[] = [];
      for (const backend of listedMemoryLockBackends()) {
        for (const key of backend.keys()) {
          const holder = key.startsWith(prefix) ? backend.state(key)?.holder : undefined;
          if (holder)
            held.push({
              key,
              owner: holder.owner,
              fencingToken: holder.token,
              remainingMs: holder.remainingMs,
            });
        }
      }
      return byKey(held);
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
