import { freeSipPort, partnerEnv, partnerFederation } from './federation-partners.suite.js';
import { startWorld } from './support/world.js';

partnerFederation('two embedded deployments in one process', async () => {
  const [portA, portB] = [await freeSipPort(), await freeSipPort()];
  const a = await startWorld({ mode: 'embedded', env: partnerEnv('contoso.com', ['alice', 'carol'], portA, 'fabrikam.com', portB) });
  const b = await startWorld({ mode: 'embedded', env: partnerEnv('fabrikam.com', ['bob', 'carol'], portB, 'contoso.com', portA) });
  return { portA, portB, storeB: b.store, poolB: b.pool, stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
});
