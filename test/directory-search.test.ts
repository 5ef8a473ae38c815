import { directorySearchSuite } from './directory-search.suite.js';
import { startWorld } from './support/world.js';

directorySearchSuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded' }));
