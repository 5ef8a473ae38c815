import { startWorld } from './support/world.js';
import { xmppSuite } from './xmpp.suite.js';

xmppSuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded' }));
