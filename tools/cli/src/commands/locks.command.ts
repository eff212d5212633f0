import type { HeldLock } from '@nestmesh/coordination';

import { redisUrlOf, type GlobalOptions } from '../global-options.js';
import { jsonLine } from '../output/json.js';
import { formatTable } from '../output/table.js';

/** Lease left as people read it: `850ms`, `4.2s`, `12m05s`. */
export function remainingText(remainingMs: number): string {
  if (remainingMs < 1000) return `${Math.max(0, Math.floor(remainingMs))}ms`;
  const tenths = Math.round(remainingMs / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(remainingMs / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

export function locksTable(locks: readonly HeldLock[]): string {
  return formatTable(
    ['key', 'owner', 'fencing token', 'remaining'],
    locks.map((lock) => [lock.key, lock.owner, lock.fencingToken, remainingText(lock.remainingMs)]),
  );
}

/**
 * `nestmesh locks [prefix]`: the locks held now on the `--redis` backend (keys as LockService
 * takes them), with owner, fencing token and lease left, sorted by key.
 */
export async function locksCommand(prefix: string | undefined, global: GlobalOptions): Promise<void> {
  const { createLockInspector } = await import('@nestmesh/coordination');
  const inspector = await createLockInspector(redisUrlOf(global));
  try {
    const locks = await inspector.heldLocks(prefix);
    process.stdout.write(global.json ? jsonLine({ prefix: prefix ?? '', locks }) : locksTable(locks));
  } finally {
    await inspector.close();
  }
}
