import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { dueKey, poolPattern, RedisStore } from '../src/index.js';
import { dueShard } from '../src/keys.js';
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

  it('writes the intent with the change in one script, none for a refused change, and replaces it on a rewrite', async () => {
    const store = RedisStore.create({ url: inject('redisUrl') });
    await store.ready();
    const pool = `t${randomUUID().slice(0, 8)}`;
    const p = { pool, user: 'sip:alice@contoso.com' };
    const key = dueKey(pool, 'pub', dueShard(p.user));
    try {
      // Refused (expects version 3 of a record that does not exist): nothing in the due index.
      const refused = await store.apply(p, [{ op: 'put', collection: 'pub', id: 'n', value: { a: 1 }, expect: 3, expiresAt: 5000 }]);
      expect(refused.ok).toBe(false);
      expect(await store.redis.zcard(key)).toBe(0);
      const first = await store.apply(p, [{ op: 'put', collection: 'pub', id: 'n', value: { a: 1 }, expiresAt: 5000 }]);
      expect(first.ok).toBe(true);
      expect(await store.redis.zrange(key, 0, -1, 'WITHSCORES')).toEqual([expect.stringContaining('"n"'), '5000']);
      await store.apply(p, [{ op: 'put', collection: 'pub', id: 'n', value: { a: 2 }, expiresAt: 7000 }]);
      expect(await store.redis.zrange(key, 0, -1, 'WITHSCORES')).toEqual([expect.stringContaining('"n"'), '7000']);
      expect((await store.due(pool, 'pub', 8000, 10)).map((d) => d.record.value)).toEqual([{ a: 2 }]);
    } finally {
      const keys = await store.redis.keys(poolPattern(pool));
      if (keys.length > 0) await store.redis.del(...keys);
      await store.close();
    }
  });
});
