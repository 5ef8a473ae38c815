import { inject } from 'vitest';
import { directorySearchSuite } from './directory-search.suite.js';
import { startWorld } from './support/world.js';

directorySearchSuite('clustered (real NATS and Redis, real sockets)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') }));
