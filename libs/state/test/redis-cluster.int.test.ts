import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisClusterHandle } from '../../../test/support/redis-cluster.js';
import { collectionKey, DUE_SHARDS, dueKey } from '../src/keys.js';
import { ReplicationTimeoutError } from '../src/redis-store.js';
import { getRecord, poolPattern, publications, put, RedisStore, StoreUnavailableError } from '../src/index.js';
import { note, writeUntilOk } from './failover.js';
import { redisStoreWorld, storeContract } from './store.contract.js';

/**
 * The store on a Redis Cluster of 3 masters + 3 replicas (Debian redis-server, started here once for
 * the file): the contract suite, the slot layout, WAIT, and a master crash.
 */
let cluster: RedisClusterHandle;
const opened: RedisStore[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await cluster?.stop();
});

/** One seed node only: the client must learn the other masters itself (and follow MOVED). */
async function openStore(extra: { waitReplicas?: number; waitTimeoutMs?: number } = {}): Promise<RedisStore> {
  const s = RedisStore.create({ clusterNodes: [cluster.nodesEnv.split(',')[0]!], ...extra });
  await s.ready();
  opened.push(s);
  return s;
}

/** KEYS only looks at one node: ask every master, then delete key by key (they are in many slots). */
async function deleteKeys(store: RedisStore, pattern: string): Promise<void> {
  const c = store.redis as Cluster;
  for (const node of c.nodes('master')) {
    for (const k of await node.keys(pattern)) await c.del(k);
  }
}


storeContract('RedisStore (Redis Cluster, 3 masters + 3 replicas)', redisStoreWorld(() => openStore(), { deleteKeys }));

describe('Redis Cluster layout', () => {
  it('puts the due-index shards of a pool in different slots, spread over every master', async () => {
    const store = await openStore();
    const c = store.redis as Cluster;
    const slotOf = async (key: string) => Number(await c.call('CLUSTER', 'KEYSLOT', key));
    const slots = await Promise.all(Array.from({ length: DUE_SHARDS }, (_, n) => slotOf(dueKey('pool1', 'pub', n))));
    expect(new Set(slots).size).toBe(DUE_SHARDS);
    // Which master owns each slot (CLUSTER SLOTS: [start, end, [host, port, id], ...replicas]).
    const ranges = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owner = (slot: number) => ranges.find(([a, b]) => slot >= a && slot <= b)![2][1];
    expect(new Set(slots.map(owner)).size).toBe(3);
    // One collection's shards and another's share their slots: one apply's intents stay in one slot.
    expect(await slotOf(dueKey('pool1', 'obx', 7))).toBe(await slotOf(dueKey('pool1', 'pub', 7)));
  });

  it('keeps one user’s collections in one slot and spreads users over the masters', async () => {
    const store = await openStore();
    const c = store.redis as Cluster;
    const slotOf = async (key: string) => Number(await c.call('CLUSTER', 'KEYSLOT', key));
    const p = { pool: 'pool1', user: 'sip:alice@contoso.com' };
    const own = await Promise.all(['pub', 'ctr', 'sbr', 'dlg', 'reg', 'obx'].map((col) => slotOf(collectionKey(p, col))));
    expect(new Set(own).size).toBe(1);
    const users = await Promise.all(Array.from({ length: 50 }, (_, i) => slotOf(collectionKey({ pool: 'pool1', user: `sip:u${i}@contoso.com` }, 'pub'))));
    expect(new Set(users).size).toBeGreaterThan(45);
  });
});

describe('Redis Cluster replication', () => {
  it('with REDIS_WAIT_REPLICAS=1 a write returns once a replica has it; the cost is measured', async () => {
    const plain = await openStore();
    const waiting = await openStore({ waitReplicas: 1, waitTimeoutMs: 1000 });
    const pool = `w${randomUUID().slice(0, 8)}`;
    try {
      // Sequential (one write at a time: the latency) and 50 writers at once (the throughput), in
      // alternating blocks so that the machine's other load hits both alike.
      const sequential = async (s: RedisStore, tag: string) => {
        const p = { pool, user: `sip:${tag}@contoso.com` };
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 200; i++) expect((await s.apply(p, [put(publications, note(`${tag}${i}`))])).ok).toBe(true);
        return Number(process.hrtime.bigint() - t0) / 1e6 / 200;
      };
      const parallel = async (s: RedisStore, tag: string) => {
        const t0 = process.hrtime.bigint();
        await Promise.all(
          Array.from({ length: 50 }, async (_, w) => {
            const p = { pool, user: `sip:${tag}${w}@contoso.com` };
            for (let i = 0; i < 20; i++) expect((await s.apply(p, [put(publications, note(`${tag}${i}`))])).ok).toBe(true);
          }),
        );
        return 1000 / (Number(process.hrtime.bigint() - t0) / 1e6 / 1000);
      };
      await sequential(plain, 'warm');
      const lat = { plain: [] as number[], wait: [] as number[] };
      const rate = { plain: [] as number[], wait: [] as number[] };
      for (let b = 0; b < 3; b++) {
        lat.plain.push(await sequential(plain, 'plain'));
        lat.wait.push(await sequential(waiting, 'wait'));
        rate.plain.push(await parallel(plain, 'pp'));
        rate.wait.push(await parallel(waiting, 'pw'));
      }
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
      process.stdout.write(
        `redis cluster: apply one at a time ${med(lat.plain).toFixed(3)} ms without WAIT, ${med(lat.wait).toFixed(3)} ms with WAIT 1; ` +
          `50 writers ${Math.round(med(rate.plain))}/s without, ${Math.round(med(rate.wait))}/s with (medians of 3)\n`,
      );
      expect((await getRecord(waiting, { pool, user: 'sip:wait@contoso.com' }, publications, '400:note:0'))?.value.data).toBe('wait199');
    } finally {
      await deleteKeys(plain, poolPattern(pool));
    }
  }, 60_000);

  it('fails a write (503) whose WAIT cannot be met: each master here has one replica, not two', async () => {
    const store = await openStore({ waitReplicas: 2, waitTimeoutMs: 100 });
    const pool = `w${randomUUID().slice(0, 8)}`;
    try {
      const err = await store.apply({ pool, user: 'sip:x@contoso.com' }, [put(publications, note('x'))]).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).cause).toBeInstanceOf(ReplicationTimeoutError);
    } finally {
      await deleteKeys(store, poolPattern(pool));
    }
  });

  /** A user whose partition the master on `port` owns. */
  async function userOn(store: RedisStore, pool: string, port: number): Promise<string> {
    const c = store.redis as Cluster;
    const ranges = (await c.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    for (let i = 0; ; i++) {
      const slot = Number(await c.call('CLUSTER', 'KEYSLOT', collectionKey({ pool, user: `sip:f${i}@contoso.com` }, 'pub')));
      if (ranges.find(([a, b]) => slot >= a && slot <= b)![2][1] === port) return `sip:f${i}@contoso.com`;
    }
  }

  it('survives kill -9 of a master: its replica takes over, the client follows; with WAIT 1 writes wait for a replica to return', async () => {
    const plain = await openStore();
    const waiting = await openStore({ waitReplicas: 1, waitTimeoutMs: 500 });
    const pool = `f${randomUUID().slice(0, 8)}`;
    const victim = (await cluster.masters())[0]!;
    const p = { pool, user: await userOn(plain, pool, victim) };
    for (let i = 0; i < 20; i++) expect((await waiting.apply(p, [put(publications, note(`before${i}`))])).ok).toBe(true);
    await cluster.crash(victim);
    const failover = await writeUntilOk(plain, p, 'after');
    process.stdout.write(`redis cluster: master killed (node timeout 1 s), writes to its slots back after ${failover.ms} ms (${failover.failures} refused meanwhile)\n`);
    // Every write acknowledged with WAIT 1 reached the replica that is master now: none was lost.
    expect((await getRecord(plain, p, publications, '400:note:0'))?.version).toBe(21);
    // The promoted master has no replica: WAIT 1 cannot be met, so writes are refused (503) ...
    // (A first 503 may be the stale slot map of this client: MOVED makes it fetch the new one.)
    let refused = await waiting.apply(p, [put(publications, note('orphan'))]).catch((e: unknown) => e);
    if (/MOVED/.test(String(refused))) refused = await waiting.apply(p, [put(publications, note('orphan'))]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect((refused as Error).cause).toBeInstanceOf(ReplicationTimeoutError);
    // ... until the crashed node is back (as a supervisor restarts it) and rejoins as its replica.
    const t1 = Date.now();
    await cluster.restart(victim);
    const rejoin = await writeUntilOk(waiting, p, 'replicated');
    process.stdout.write(`redis cluster: with WAIT 1, writes back ${Date.now() - t1} ms after the crashed node restarted\n`);
    expect(rejoin.ms).toBeGreaterThanOrEqual(0);
    expect((await getRecord(plain, p, publications, '400:note:0'))?.value.data).toBe('replicated');
    await cluster.waitHealthy(20_000, victim);
    await deleteKeys(plain, poolPattern(pool));
  }, 90_000);
});
