import { AsyncLocalStorage } from 'node:async_hooks';

import { gatedMethod, MethodGates } from '../gated-method.js';
import type { LockHandle } from './lock-handle.js';
import { type AcquireOptions, type LockService, validateLockOptions } from './lock.service.js';

export const LOCKED_METADATA = 'nestmesh:coordination:locked';

export interface LockedMetadata {
  key: (...args: never[]) => string;
  options: AcquireOptions;
}

export const lockContext = new AsyncLocalStorage<LockHandle>();

/** Instance → the LockService of its app; bound by LockedMethodsExplorer at module init. */
export const lockedMethods = new MethodGates<LockService>(
  '@Locked',
  'LockService (LockModule)',
  LOCKED_METADATA,
);

/**
 * Runs the method under the distributed lock `key(...args)`:
 * `@Locked((request: ReserveStockRequest) => \`sku:${request.sku}\`, { waitMs: 2000 })`.
 * The method runs inside `LockService.using`: the lock renews while it runs and is released
 * when it settles; `currentLock()` inside it gives the token and the signal. The method always
 * returns a promise. Options are checked here, when the class is defined
 * (InvalidLockOptionsError).
 *
 * The method is wrapped when the class is defined, so `@Interval`, `@Cron` and gRPC handler
 * decorators call the locked method in whatever order modules and decorators come. Its
 * instance is bound to its app's LockService when the app initialises; a call on an instance
 * of no such app (or before) rejects with MethodNotBoundError and never runs unlocked.
 */
export function Locked<Args extends unknown[]>(key: (...args: Args) => string, options: AcquireOptions = {}) {
  if (typeof key !== 'function') throw new TypeError('@Locked(key) takes a function of the arguments');
  validateLockOptions(options);
  const metadata: LockedMetadata = { key: key as unknown as LockedMetadata['key'], options };
  return gatedMethod(lockedMethods, metadata, (locks, call, args) =>
    locks.using(key(...(args as Args)), (_signal, lock) => lockContext.run(lock, call), options),
  );
}

/** The lock the current `@Locked` method holds, or undefined outside one. */
export function currentLock(): LockHandle | undefined {
  return lockContext.getStore();
}
