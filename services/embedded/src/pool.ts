import { aggregation } from '@presence/aggregation';
import { federation } from '@presence/federation';
import { publication } from '@presence/publication';
import { runProcess } from '@presence/runtime';
import { subscription } from '@presence/subscription';

/**
 * `npm run start:pool`: the back-end services of one pool (POOL_ID) in one clustered process, over
 * NATS and Redis exactly as when each runs alone. Same work and the same guarantees, fewer
 * processes: on a small machine the processes of a pool otherwise compete for the cores and wake
 * one another for every message (issue 13). The edges stay processes of their own.
 */
await runProcess({
  processName: 'pool',
  mode: 'clustered',
  services: [publication, aggregation, subscription, federation],
});
