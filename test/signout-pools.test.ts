import { fromWorlds, poolIds, signOutAcrossPools, twoPoolUsers } from './signout-pools.suite.js';
import { startWorld } from './support/world.js';

signOutAcrossPools('embedded, both pools in one process', async () => {
  const { a, b } = poolIds();
  const w = await startWorld({ mode: 'embedded', env: { PRESENCE_POOLS: `${a},${b}`, POOL_ID: a, PRESENCE_USERS_FILE: twoPoolUsers(a, b) } });
  return { ...fromWorlds(w, undefined), poolB: b };
});
