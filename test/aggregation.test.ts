import { aggregationSuite } from './aggregation.suite.js';
import { startWorld } from './support/world.js';

aggregationSuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded' }));
