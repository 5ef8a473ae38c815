import { federationSuite } from './federation.suite.js';
import { startWorld } from './support/world.js';

federationSuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded' }));
