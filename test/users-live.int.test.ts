import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { storeEnv, usersLive } from './users-live.suite.js';
import { startWorld } from './support/world.js';

usersLive('clustered (Redis store, NATS)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl'), env: storeEnv(`u${randomUUID().slice(0, 8)}`) }));
