import { inject } from 'vitest';
import { categorySuite } from './category.suite.js';
import { startWorld } from './support/world.js';

categorySuite('clustered (real NATS and Redis, real sockets)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') }));
