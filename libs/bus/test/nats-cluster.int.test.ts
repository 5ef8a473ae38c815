import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsClusterHandle } from '../../../test/support/nats-cluster.js';
import { defaultReplicas } from '../src/nats-bus.js';
import { defineEvent, eventStreamName, NatsBus } from '../src/index.js';
import { busContract, CONTRACT_ACK_WAIT_MS } from './bus.contract.js';

/**
 * The bus on a 3-node NATS cluster with JetStream (Debian nats-server, started here once for the
 * file): the contract suite, replicated streams, and the loss of a node under load.
 */
let cluster: NatsClusterHandle;

beforeAll(async () => {
  cluster = await startNatsCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

async function deleteStream(pool: string): Promise<void> {
  const admin = await NatsBus.connect({ servers: cluster.url, name: 'cluster-cleanup' });
  const jsm = await jetstreamManager(admin.nc);
  await jsm.streams.delete(eventStreamName(pool)).catch(() => undefined);
  await admin.close();
}

busContract('NatsBus (3-node NATS cluster, JetStream R3)', async () => {
  const pool = `t${randomUUID().slice(0, 8)}`;
  const buses: NatsBus[] = [];
  return {
    pool,
    newBus: async () => {
      const b = await NatsBus.connect({ servers: cluster.url, name: `contract-${buses.length}`, ackWaitMs: CONTRACT_ACK_WAIT_MS, drainTimeoutMs: 200 });
      buses.push(b);
      return b;
    },
    cleanup: async () => {
      await deleteStream(pool);
      await Promise.all(buses.map((b) => b.close()));
    },
  };
});

const haEvent = defineEvent<{ n: number }>('ha-event', ['svc-a']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('NATS cluster replication', () => {
  it('chooses min(3, cluster size) replicas, 1 for a single server', () => {
    expect(defaultReplicas({})).toBe(1);
    expect(defaultReplicas({ connect_urls: ['a:1'] })).toBe(1);
    expect(defaultReplicas({ cluster: 'ha', connect_urls: ['a:1', 'b:1'] })).toBe(2);
    expect(defaultReplicas({ cluster: 'ha', connect_urls: ['a:1', 'b:1', 'c:1'] })).toBe(3);
    expect(defaultReplicas({ cluster: 'ha', connect_urls: ['a:1', 'b:1', 'c:1', 'd:1', 'e:1'] })).toBe(3);
  });

  it('creates each pool’s stream with 3 replicas on the cluster; its durable consumers are replicated too', async () => {
    const pool = `r${randomUUID().slice(0, 8)}`;
    const bus = await NatsBus.connect({ servers: cluster.url, name: 'replicas' });
    try {
      expect(bus.streamReplicas).toBe(3);
      await bus.publish(haEvent, pool, { n: 1 }, { msgId: 'r1' });
      const jsm = await jetstreamManager(bus.nc);
      const info = await jsm.streams.info(eventStreamName(pool));
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.length).toBe(2);
      const consumers = await jsm.consumers.list(eventStreamName(pool)).next();
      expect(consumers.length).toBe(1);
      expect(consumers[0]!.cluster?.replicas?.length).toBe(2);
    } finally {
      await bus.close();
      await deleteStream(pool);
    }
  });

  it('grows a stream made with 1 replica to 3 when a bus on the cluster first uses it', async () => {
    const pool = `g${randomUUID().slice(0, 8)}`;
    const one = await NatsBus.connect({ servers: cluster.url, name: 'r1', streamReplicas: 1 });
    const three = await NatsBus.connect({ servers: cluster.url, name: 'r3' });
    try {
      await one.publish(haEvent, pool, { n: 1 }, { msgId: 'g1' });
      const jsm = await jetstreamManager(one.nc);
      expect((await jsm.streams.info(eventStreamName(pool))).config.num_replicas).toBe(1);
      // The stream is reconfigured by then; while its new peers catch up a publish may be refused
      // (the outbox sweeper retries those), so retry here too.
      for (let i = 0; ; i++) {
        const err = await three.publish(haEvent, pool, { n: 2 }, { msgId: 'g2' }).catch((e: unknown) => e);
        if (err === undefined) break;
        if (i === 100) throw err;
        await sleep(100);
      }
      expect((await jsm.streams.info(eventStreamName(pool))).config.num_replicas).toBe(3);
    } finally {
      await Promise.all([one.close(), three.close()]);
      await deleteStream(pool);
    }
  });

  it('loses no acknowledged event when the stream leader’s node is killed (-9) under load; the recovery time is measured', async () => {
    const pool = `k${randomUUID().slice(0, 8)}`;
    const publisher = await NatsBus.connect({ servers: cluster.url, name: 'ha-pub' });
    const consumer = await NatsBus.connect({ servers: cluster.url, name: 'ha-sub' });
    const received = new Set<number>();
    const acked: { n: number; at: number }[] = [];
    try {
      await consumer.consume(haEvent, pool, 'svc-a', (e) => void received.add(e.n), { concurrency: 4 });
      const jsm = await jetstreamManager(publisher.nc);
      const leader = (await jsm.streams.info(eventStreamName(pool))).cluster!.leader!;
      const victim = cluster.nodes.findIndex((n) => n.name === leader);
      expect(victim).toBeGreaterThanOrEqual(0);
      let killedAt = 0;
      let refused = 0;
      for (let n = 0; n < 300; n++) {
        if (n === 100) {
          await cluster.crash(victim);
          killedAt = Date.now();
        }
        // A publish that fails is retried under the same message id, as the outbox sweeper does.
        for (;;) {
          try {
            await publisher.publish(haEvent, pool, { n }, { msgId: `ha-${n}` });
            acked.push({ n, at: Date.now() });
            break;
          } catch {
            refused++;
            await sleep(50);
          }
        }
        await sleep(5);
      }
      const firstAfter = acked.find((a) => a.at >= killedAt)!;
      const gaps = acked.slice(1).map((a, i) => a.at - acked[i]!.at);
      process.stdout.write(
        `nats cluster: stream leader ${leader} killed; first acknowledged publish ${firstAfter.at - killedAt} ms later, longest gap ${Math.max(...gaps)} ms, ${refused} publishes retried\n`,
      );
      const until = Date.now() + 30_000;
      while (received.size < acked.length && Date.now() < until) await sleep(50);
      expect([...received].sort((a, b) => a - b)).toEqual(acked.map((a) => a.n));
      const jsm2 = await jetstreamManager(publisher.nc);
      expect((await jsm2.streams.info(eventStreamName(pool))).cluster!.leader).not.toBe(leader);
    } finally {
      await Promise.all([publisher.close(), consumer.close()]);
      await cluster.restart(victimIndex(cluster, pool)).catch(() => undefined);
      await deleteStream(pool).catch(() => undefined);
    }
  }, 90_000);
});

/** The first node that is not running (the one this test killed). */
function victimIndex(c: NatsClusterHandle, _pool: string): number {
  return c.nodes.findIndex((n) => n.child.exitCode !== null || n.child.signalCode !== null);
}
