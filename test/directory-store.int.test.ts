import { randomUUID } from 'node:crypto';
import { RedisStore } from '@presence/state';
import { afterAll, inject } from 'vitest';
import { directoryContract } from './directory-contract.suite.js';
import { storeHarness } from './support/directory-harness.js';

// The managed store on the real Redis (clustered mode); a namespace of its own per run.
const namespace = `t${randomUUID().slice(0, 8)}`;
let store: RedisStore | undefined;
directoryContract('managed store (Redis)', async () => {
  store = RedisStore.create({ url: inject('redisUrl'), name: 'directory-contract' });
  return storeHarness(store, namespace);
});
afterAll(async () => {
  if (!store) return;
  const keys = await store.redis.keys(`*${namespace}*`);
  if (keys.length > 0) await store.redis.del(...keys);
  await store.close();
});
