import { randomUUID } from 'node:crypto';
import { MemoryStore } from '../src/index.js';
import { storeContract } from './store.contract.js';

storeContract('MemoryStore', async () => {
  // Every "client" of the in-memory store is the same object: there is one process.
  const store = new MemoryStore();
  return { pool: `p${randomUUID().slice(0, 8)}`, newStore: async () => store, cleanup: async () => store.close() };
});
