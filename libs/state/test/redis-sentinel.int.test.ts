import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisSentinel, type RedisSentinelHandle } from '../../../test/support/redis-sentinel.js';
import { getRecord, publications, put, RedisStore } from '../src/index.js';
import { note, writeUntilOk } from './failover.js';
import { redisStoreWorld, storeContract } from './store.contract.js';

/** The store on Redis with Sentinel (a master, a replica, one Sentinel), started here once for the file. */
let sentinel: RedisSentinelHandle;
const opened: RedisStore[] = [];

beforeAll(async () => {
  sentinel = await startRedisSentinel();
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await sentinel?.stop();
});

async function openStore(): Promise<RedisStore> {
  const s = RedisStore.create({ sentinels: [sentinel.sentinel], sentinelMaster: sentinel.master });
  await s.ready();
  opened.push(s);
  return s;
}


storeContract('RedisStore (Redis with Sentinel)', redisStoreWorld(() => openStore()));

describe('Redis Sentinel failover', () => {
  it('refuses the master name being left out', () => {
    expect(() => RedisStore.create({ sentinels: [sentinel.sentinel] })).toThrow(/sentinelMaster/);
  });

  it('follows the Sentinel to the promoted replica after kill -9 of the master; writes acknowledged before are there', async () => {
    const store = await openStore();
    const p = { pool: `s${randomUUID().slice(0, 8)}`, user: 'sip:s@contoso.com' };
    for (let i = 0; i < 20; i++) expect((await store.apply(p, [put(publications, note(`before${i}`))])).ok).toBe(true);
    // Let the replica confirm the last write (what REDIS_WAIT_REPLICAS=1 would do on every write).
    await store.redis.call('WAIT', 1, 1000);
    await sentinel.crashMaster();
    const back = await writeUntilOk(store, p, 'after');
    process.stdout.write(`redis sentinel: master killed (down-after 1 s), writes back after ${back.ms} ms (${back.failures} refused meanwhile)\n`);
    const rec = await getRecord(store, p, publications, '400:note:0');
    expect(rec?.value.data).toBe('after');
    expect(rec?.version).toBe(21);
  }, 60_000);
});
