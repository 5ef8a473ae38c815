import { inject } from 'vitest';
import { deadlineSuite } from './deadline.suite.js';
import { startWorld } from './support/world.js';

deadlineSuite('clustered (real NATS and Redis, real sockets)', (env) => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env }));
