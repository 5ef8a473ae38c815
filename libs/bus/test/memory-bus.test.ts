import { randomUUID } from 'node:crypto';
import { MemoryBus, MemoryNetwork, type Bus, type MemoryWire } from '../src/index.js';
import { busContract, CONTRACT_ACK_WAIT_MS } from './bus.contract.js';

for (const wire of ['json', 'reference'] as MemoryWire[]) {
  busContract(`MemoryBus (${wire})`, async () => {
    const network = new MemoryNetwork({ ackWaitMs: CONTRACT_ACK_WAIT_MS, wire });
    const buses: Bus[] = [];
    return {
      pool: `p${randomUUID().slice(0, 8)}`,
      wire,
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
}
