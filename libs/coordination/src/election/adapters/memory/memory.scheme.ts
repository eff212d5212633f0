import type { LeaseBackend } from '../../../lock/lock-backend.js';
import type { ElectionBackends } from '../../leader-election.factory.js';

/** Memory elections of one process share one lease table: two candidates in one process compete. */
let processLeases: LeaseBackend | undefined;

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
