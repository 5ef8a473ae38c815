import { inject } from 'vitest';
import { pageMessages } from './message.suite.js';
import { poolIds, twoPoolUsers } from './signout-pools.suite.js';
import { startWorld } from './support/world.js';

pageMessages('clustered, one process per pool on real NATS and Redis', async () => {
  const { a, b } = poolIds();
  const file = twoPoolUsers(a, b);
  const env = (pool: string) => ({ PRESENCE_POOLS: `${a},${b}`, POOL_ID: pool, PRESENCE_USERS_FILE: file });
  const [wa, wb] = await Promise.all([
    startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: env(a) }),
    startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: env(b) }),
  ]);
  return { edgeA: wa.ports.tcp, edgeB: wb.ports.tcp, stop: async () => void (await Promise.all([wa.stop(), wb.stop()])) };
});
