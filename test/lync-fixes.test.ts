import { lyncFixesSuite } from './lync-fixes.suite.js';
import { startWorld } from './support/world.js';

lyncFixesSuite('embedded (in-process bus, memory store, real sockets)', () => startWorld({ mode: 'embedded', env: { PROVISIONING_FILE: 'config/provisioning.example.json' } }));
