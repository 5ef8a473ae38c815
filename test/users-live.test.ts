import { storeEnv, usersLive } from './users-live.suite.js';
import { startWorld } from './support/world.js';

usersLive('embedded (memory store)', (namespace, env) => startWorld({ mode: 'embedded', env: { ...storeEnv(namespace), ...env } }));
