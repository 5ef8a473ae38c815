import { inject } from 'vitest';
import { publicationSuite } from './publication.suite.js';
import { startWorld } from './support/world.js';

publicationSuite('clustered (real NATS and Redis, real sockets)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') }));
