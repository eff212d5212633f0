import { lockBackendContract } from '../../testing/lock-backend.contract.js';
import { MemoryLockBackend } from './memory.lock-backend.js';

lockBackendContract('memory', async () => ({ backend: new MemoryLockBackend(), close: async () => {} }));
