// redlock 5.0.0-beta.2 ships declarations (dist/index.d.ts), but its package.json "exports"
// has no "types" condition, so under nodenext resolution TypeScript cannot reach them and
// the import would be untyped. This declares the part of its API the lock bench calls.
declare module 'redlock' {
  import type { Redis } from 'ioredis';

  export interface Lock {
    /** Releases the lock on every client; rejects when a quorum could not be reached. */
    release(): Promise<unknown>;
  }

  export default class Redlock {
    constructor(clients: Iterable<Redis>, settings?: { retryCount?: number });
    /** Rejects when the resources are locked by someone else (after `retryCount` retries). */
    acquire(resources: string[], durationMs: number): Promise<Lock>;
  }
}
