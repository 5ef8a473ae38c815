import { pageMessages } from './message.suite.js';
import { poolIds, twoPoolUsers } from './signout-pools.suite.js';
import { startWorld } from './support/world.js';

pageMessages('embedded, both pools in one process', async () => {
  const { a, b } = poolIds();
  const w = await startWorld({ mode: 'embedded', env: { PRESENCE_POOLS: `${a},${b}`, POOL_ID: a, PRESENCE_USERS_FILE: twoPoolUsers(a, b) } });
  return { edgeA: w.ports.tcp, edgeB: w.ports.tcp, stop: () => w.stop() };
});
