import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { inject } from 'vitest';
import { eventStreamName, NatsBus } from '../src/index.js';
import { busContract, CONTRACT_ACK_WAIT_MS } from './bus.contract.js';

busContract('NatsBus (real NATS with JetStream)', async () => {
  const servers = inject('natsUrl');
  const pool = `t${randomUUID().slice(0, 8)}`;
  const buses: NatsBus[] = [];
  return {
    pool,
    newBus: async () => {
      const b = await NatsBus.connect({ servers, name: `contract-${buses.length}`, ackWaitMs: CONTRACT_ACK_WAIT_MS, drainTimeoutMs: 200 });
      buses.push(b);
      return b;
    },
    cleanup: async () => {
      const admin = await NatsBus.connect({ servers, name: 'contract-cleanup' });
      const jsm = await jetstreamManager(admin.nc);
      await jsm.streams.delete(eventStreamName(pool)).catch(() => undefined);
      await Promise.all([...buses, admin].map((b) => b.close()));
    },
  };
});
