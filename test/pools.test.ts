import { afterAll, beforeAll, describe } from 'vitest';
import { resubscribeAcrossPools, type TwoPools } from './pools.suite.js';
import { startWorld, type World } from './support/world.js';

describe('two pools in one process (embedded, PRESENCE_POOLS=pool1,pool2)', () => {
  let w: World;
  beforeAll(async () => {
    // The development accounts are homed: alice and bob in pool1, carol and john in pool2.
    w = await startWorld({ mode: 'embedded', env: { PRESENCE_POOLS: 'pool1,pool2', POOL_ID: 'pool1' } });
  });
  afterAll(async () => {
    await w.stop();
  });
  resubscribeAcrossPools((): TwoPools => ({ edges: [w.ports.tcp], poolA: 'pool1', poolB: 'pool2', gruuB: 'sip:pool2.contoso.com@contoso.com;gruu;opaque=srvr:HomeServer:pool2' }));
});
