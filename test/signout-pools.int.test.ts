import { inject } from 'vitest';
import { fromWorlds, poolIds, signOutAcrossPools, twoPoolUsers } from './signout-pools.suite.js';
import { startWorld } from './support/world.js';

signOutAcrossPools('clustered, one process per pool on real NATS and Redis', async () => {
  const { a, b } = poolIds();
  const file = twoPoolUsers(a, b);
  const env = (pool: string) => ({ PRESENCE_POOLS: `${a},${b}`, POOL_ID: pool, PRESENCE_USERS_FILE: file });
  const [wa, wb] = await Promise.all([
    startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: env(a) }),
    startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: env(b) }),
  ]);
  return fromWorlds(wa, wb);
});
