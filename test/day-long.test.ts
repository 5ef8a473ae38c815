import { dayLongSuite, COMPRESSED_TIMERS } from './day-long.suite.js';
import { startWorld } from './support/world.js';

dayLongSuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded', env: COMPRESSED_TIMERS }));
