export {
  CoordinationError,
  InvalidLockOptionsError,
  LockHeldError,
  LockLostError,
  LockUnavailableError,
} from './coordination.errors.js';
export { MemoryLockBackend } from './lock/adapters/memory/memory.lock-backend.js';
export { LockBackend } from './lock/lock-backend.js';
export { createLockBackend, type ClosableLockBackend } from './lock/lock-backend.factory.js';
export { LockModule } from './lock/lock.module.js';
export { currentLock, Locked, LOCKED_METADATA } from './lock/locked.decorator.js';
export { LOCK_MODULE_OPTIONS, type LockModuleOptions } from './lock/lock.module-definition.js';
export { LockHandle } from './lock/lock-handle.js';
export * from './lock/lock.constants.js';
export { LockService, type AcquireOptions, type LockOptions } from './lock/lock.service.js';
