import { AsyncLocalStorage } from 'node:async_hooks';

import type { LockHandle } from './lock-handle.js';
import type { AcquireOptions } from './lock.service.js';

export const LOCKED_METADATA = 'nestmesh:coordination:locked';

export interface LockedMetadata {
  key: (...args: never[]) => string;
  options: AcquireOptions;
}

export const lockContext = new AsyncLocalStorage<LockHandle>();

/**
 * Runs the method under the distributed lock `key(...args)`:
 * `@Locked((request: ReserveStockRequest) => \`sku:${request.sku}\`, { waitMs: 2000 })`.
 * The method runs inside `LockService.using`: the lock renews while it runs and is released
 * when it settles; `currentLock()` inside it gives the token and the signal. Works on
 * providers and controllers of apps that import LockModule (applied when the app starts).
 */
export function Locked<Args extends unknown[]>(
  key: (...args: Args) => string,
  options: AcquireOptions = {},
): MethodDecorator {
  return (_target, _property, descriptor) => {
    const metadata: LockedMetadata = { key: key as unknown as LockedMetadata['key'], options };
    Reflect.defineMetadata(LOCKED_METADATA, metadata, descriptor.value as object);
    return descriptor;
  };
}

/** The lock the current `@Locked` method holds, or undefined outside one. */
export function currentLock(): LockHandle | undefined {
  return lockContext.getStore();
}
