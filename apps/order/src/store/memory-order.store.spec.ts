import { MemoryOrderStore } from './memory-order.store.js';
import { orderStoreContract } from './order-store.contract.js';

orderStoreContract('memory', () => {
  const store = new MemoryOrderStore();
  return Promise.resolve({ first: store, second: store, close: () => Promise.resolve() });
});
