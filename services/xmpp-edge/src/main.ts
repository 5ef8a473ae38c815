import { runProcess } from '@presence/runtime';
import { xmppEdge } from './index.js';

await runProcess({ processName: 'xmpp-edge', mode: 'clustered', services: [xmppEdge] });
