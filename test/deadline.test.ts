import { deadlineSuite } from './deadline.suite.js';
import { startWorld } from './support/world.js';

deadlineSuite('embedded (in-process bus, memory store, real sockets)', (env) => startWorld({ mode: 'embedded', env }));
