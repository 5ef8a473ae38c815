import { randomUUID } from 'node:crypto';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { describe, expect, inject, it } from 'vitest';
import { defineEvent, durableName, eventStreamName, NatsBus } from '../src/index.js';
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

describe('NatsBus topology', () => {
  it('deletes a durable consumer its event no longer declares, so the stream stops keeping events for it', async () => {
    const servers = inject('natsUrl');
    const pool = `t${randomUUID().slice(0, 8)}`;
    const before = defineEvent<{ n: number }>('topology-event', ['svc-a', 'svc-gone']);
    const after = defineEvent<{ n: number }>('topology-event', ['svc-a']);
    const old = await NatsBus.connect({ servers, name: 'topology-old' });
    const upgraded = await NatsBus.connect({ servers, name: 'topology-new' });
    const jsm = await jetstreamManager(old.nc);
    try {
      await old.publish(before, pool, { n: 1 }, { msgId: 'm1' });
      const names = async () => (await jsm.consumers.list(eventStreamName(pool)).next()).map((c) => c.name).sort();
      expect(await names()).toEqual([durableName('svc-a', 'topology-event'), durableName('svc-gone', 'topology-event')]);
      // An operator's consumer on the same subject, not named like ours, is left alone.
      await jsm.consumers.add(eventStreamName(pool), { durable_name: 'ops-audit', filter_subject: after.subject(pool), ack_policy: AckPolicy.Explicit });

      await upgraded.publish(after, pool, { n: 2 }, { msgId: 'm2' });
      expect(await names()).toEqual(['ops-audit', durableName('svc-a', 'topology-event')]);
      const got: number[] = [];
      const sub = await upgraded.consume(after, pool, 'svc-a', async (e) => void got.push(e.n));
      await expect.poll(() => got, { timeout: 5000 }).toEqual([1, 2]);
      await sub.stop();
    } finally {
      await jsm.streams.delete(eventStreamName(pool)).catch(() => undefined);
      await Promise.all([old.close(), upgraded.close()]);
    }
  });
});
