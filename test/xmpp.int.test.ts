import { inject } from 'vitest';
import { startWorld } from './support/world.js';
import { xmppSuite } from './xmpp.suite.js';

xmppSuite('clustered (real NATS and Redis, real sockets)', () => startWorld({ mode: 'clustered', natsUrl: inject('natsUrl'), redisUrl: inject('redisUrl') }));
