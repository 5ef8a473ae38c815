import { aggregation } from '@presence/aggregation';
import { federation } from '@presence/federation';
import { publication } from '@presence/publication';
import { runProcess } from '@presence/runtime';
import { sipEdge } from '@presence/sip-edge';
import { subscription } from '@presence/subscription';
import { xmppEdge } from '@presence/xmpp-edge';
import { web } from '@presence/web';

/** `npm start`: every service in one process over the in-process bus and in-memory state. */
await runProcess({
  processName: 'presence',
  mode: 'embedded',
  services: [publication, aggregation, subscription, federation, web, sipEdge, xmppEdge],
});
