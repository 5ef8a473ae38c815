import { randomUUID } from 'node:crypto';
import { MemoryBus, MemoryNetwork, type Bus } from '../src/index.js';
import { busContract, CONTRACT_ACK_WAIT_MS } from './bus.contract.js';

busContract('MemoryBus', async () => {
  const network = new MemoryNetwork({ ackWaitMs: CONTRACT_ACK_WAIT_MS });
  const buses: Bus[] = [];
  return {
    pool: `p${randomUUID().slice(0, 8)}`,
    newBus: async () => {
      const b = new MemoryBus(network, { drainTimeoutMs: 200 });
      buses.push(b);
      return b;
    },
    cleanup: async () => {
      await Promise.all(buses.map((b) => b.close()));
    },
  };
});
