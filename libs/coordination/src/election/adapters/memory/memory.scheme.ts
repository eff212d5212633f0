import type { MemoryLockBackend } from '../../../lock/adapters/memory/memory.lock-backend.js';
import type { ElectionInspectors } from '../../election-inspector.js';
import type { ElectionBackends } from '../../leader-election.factory.js';

/** Memory elections of one process share one lease table: two candidates in one process compete. */
let processLeases: MemoryLockBackend | undefined;

/** The lease table of this process's memory elections; undefined before the first one is made. */
export function memoryElectionLeases(): MemoryLockBackend | undefined {
  return processLeases;
}

/** `memory://`: elections in this process. Takes no host and no option. */
export function registerMemoryElectionScheme(backends: ElectionBackends): void {
  backends.register('memory', {
    create: async ([url], { group, timing }) => {
      if (url.hosts.length > 0 || url.path) url.fail('takes no host or path (memory://)');
      const [{ MemoryLockBackend }, { LeaseLeaderElection }] = await Promise.all([
        import('../../../lock/adapters/memory/memory.lock-backend.js'),
        import('../../lease-election.js'),
      ]);
      processLeases ??= new MemoryLockBackend({ listed: false });
      return new LeaseLeaderElection(processLeases, group, timing);
    },
  });
}

/** `memory://` election inspection: the lease table the memory elections of this process share. */
export function registerMemoryElectionInspector(inspectors: ElectionInspectors): void {
  inspectors.register('memory', {
    create: async ([url]) => {
      if (url.hosts.length > 0 || url.path) url.fail('takes no host or path (memory://)');
      const { MemoryElectionInspector } = await import('./memory.election-inspector.js');
      return new MemoryElectionInspector();
    },
  });
}
