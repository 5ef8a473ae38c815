import { categorySuite } from './category.suite.js';
import { startWorld } from './support/world.js';

categorySuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded' }));
