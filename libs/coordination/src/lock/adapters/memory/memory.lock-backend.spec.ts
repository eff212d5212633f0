import { lockBackendContract } from '../../testing/lock-backend.contract.js';
import { MemoryLockBackend } from './memory.lock-backend.js';

lockBackendContract('memory', () =>
  Promise.resolve({ backend: new MemoryLockBackend(), close: () => Promise.resolve() }),
);
