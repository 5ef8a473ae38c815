import { publicationSuite } from './publication.suite.js';
import { startWorld } from './support/world.js';

publicationSuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded' }));
