import { inject } from 'vitest';
import { freeSipPort, partnerEnv, partnerFederation } from './federation-partners.suite.js';
import { startWorld } from './support/world.js';

partnerFederation('two clustered deployments on real NATS and Redis', async () => {
  const [portA, portB] = [await freeSipPort(), await freeSipPort()];
  const infra = { natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') };
  const [a, b] = await Promise.all([
    startWorld({ mode: 'clustered', ...infra, env: partnerEnv('contoso.com', ['alice', 'carol'], portA, 'fabrikam.com', portB) }),
    startWorld({ mode: 'clustered', ...infra, env: partnerEnv('fabrikam.com', ['bob', 'carol'], portB, 'contoso.com', portA) }),
  ]);
  return { portA, portB, storeB: b.store, poolB: b.pool, stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
});
