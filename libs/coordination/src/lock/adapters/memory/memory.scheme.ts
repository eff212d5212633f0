import type { LockBackends } from '../../lock-backend.factory.js';
import type { LockInspectors } from '../../lock-inspector.js';

/** `memory://`: leases in this process (a backend per LockModule). Takes no host and no option. */
export function registerMemoryLockScheme(backends: LockBackends): void {
  backends.register('memory', {
    create: async ([url]) => {
      if (url.hosts.length > 0 || url.path) url.fail('takes no host or path (memory://)');
      const { MemoryLockBackend } = await import('./memory.lock-backend.js');
      return new MemoryLockBackend();
    },
  });
}

/** `memory://` lock inspection: every listed memory lock backend of this process. */
export function registerMemoryLockInspector(inspectors: LockInspectors): void {
  inspectors.register('memory', {
    create: async ([url]) => {
      if (url.hosts.length > 0 || url.path) url.fail('takes no host or path (memory://)');
      const { MemoryLockInspector } = await import('./memory.lock-inspector.js');
      return new MemoryLockInspector();
    },
  });
}
