import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { dueKey, poolPattern, RedisStore } from '../src/index.js';
import { redisStoreWorld, storeContract } from './store.contract.js';

storeContract(
  'RedisStore (real Redis)',
  redisStoreWorld(
    async () => {
      const s = RedisStore.create({ url: inject('redisUrl') });
      await s.ready();
      return s;
    },
    { closeAfter: true },
  ),
);

describe('RedisStore expiry intents', () => {
  it('drops an intent whose change never happened (crash between intent and change)', async () => {
    const store = RedisStore.create({ url: inject('redisUrl') });
    await store.ready();
    const pool = `t${randomUUID().slice(0, 8)}`;
    const key = dueKey(pool, 'pub', 0);
    try {
      await store.redis.zadd(key, 1, JSON.stringify(['sip:ghost@contoso.com', 'pub', '400:note:0', 'nonce-never-written']));
      expect(await store.due(pool, 'pub', Date.now(), 10)).toEqual([]);
      expect(await store.redis.zcard(key)).toBe(0);
    } finally {
      const keys = await store.redis.keys(poolPattern(pool));
      if (keys.length > 0) await store.redis.del(...keys);
      await store.close();
    }
  });
});
