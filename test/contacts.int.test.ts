import { inject } from 'vitest';
import { contactsSuite } from './contacts.suite.js';
import { startWorld } from './support/world.js';

contactsSuite('clustered (real NATS and Redis, real sockets)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') }));
