import { randomUUID } from 'node:crypto';
import { storeEnv, usersLive } from './users-live.suite.js';
import { startWorld } from './support/world.js';

usersLive('embedded (memory store)', () => startWorld({ mode: 'embedded', env: storeEnv(`u${randomUUID().slice(0, 8)}`) }));
