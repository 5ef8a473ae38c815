import { inject } from 'vitest';
import { federationSuite } from './federation.suite.js';
import { startWorld } from './support/world.js';

federationSuite('clustered (real NATS and Redis, real sockets)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') }));
