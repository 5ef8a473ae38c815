import { contactsSuite } from './contacts.suite.js';
import { startWorld } from './support/world.js';

contactsSuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded' }));
