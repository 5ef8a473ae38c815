import { inject } from 'vitest';
import { dayLongSuite, COMPRESSED_TIMERS } from './day-long.suite.js';
import { startWorld } from './support/world.js';

dayLongSuite('clustered (real NATS and Redis, real sockets)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: COMPRESSED_TIMERS }));
