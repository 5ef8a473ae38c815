import { aggregationDue, MemoryBus, MemoryNetwork, presenceChanged, type PresenceChanged } from '@presence/bus';
import { MemoryStore } from '@presence/state';
import { createLogger } from '@presence/telemetry';

export const logger = createLogger({ level: 'silent', base: {} });

/** A memory bus and store for pool `p1`, with what the subscription and aggregation services would hear. */
export async function world() {
  const bus = new MemoryBus(new MemoryNetwork());
  const store = new MemoryStore();
  const heard: PresenceChanged[] = [];
  const due: PresenceChanged[] = [];
  await bus.consume(presenceChanged, 'p1', 'subscription', async (e) => void heard.push(e));
  await bus.consume(aggregationDue, 'p1', 'aggregation', async (e) => void due.push(e));
  return { bus, store, heard, due, d: { store, bus, pool: 'p1', logger } };
}
