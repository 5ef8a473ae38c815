import { inject } from 'vitest';
import { aggregationSuite } from './aggregation.suite.js';
import { startWorld } from './support/world.js';

aggregationSuite('clustered (real NATS and Redis, real sockets)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') }));
