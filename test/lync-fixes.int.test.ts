import { inject } from 'vitest';
import { lyncFixesSuite } from './lync-fixes.suite.js';
import { startWorld } from './support/world.js';

lyncFixesSuite('clustered (real NATS and Redis, real sockets)', () =>
  startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: { PROVISIONING_FILE: 'config/provisioning.example.json' } }),
);
