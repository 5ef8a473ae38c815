import { aggregationDue } from '@presence/bus';
import { triggeredBy } from '@presence/presence';
import { commitWithAggregation, readPublications, servePing, type RunningService, type ServiceDeps, type ServiceModule } from '@presence/runtime';
import type { Partition } from '@presence/state';

/**
 * The aggregation service ([MS-PRES] §3.8). Computed instances (aggregateState, the
 * aggregateMachineState, legacyInterop, dndState, workingHours) are planned by the pure rules of
 * libs/presence and committed by the publication and federation services in the same atomic change
 * as the publication, expiry or sign-out that triggers them (`commitWithAggregation`, guarded by the
 * user's publications generation), so the publish 200 carries them (§4.3). This service checks the
 * changes that can trigger aggregation but did not carry their computed instances
 * (`aggregation-due`: a user moved to another pool, a change by a process of an older release) and
 * commits whatever is not in line.
 */
export async function startAggregation(deps: ServiceDeps): Promise<RunningService> {
  const ping = await servePing('aggregation', deps);
  const sub = await deps.bus.consume(aggregationDue, deps.pool, 'aggregation', async (e) => {
    const touched = e.categories ?? [];
    if (triggeredBy(touched).length === 0) return;
    const p: Partition = { pool: deps.pool, user: e.user };
    for (let attempt = 0; attempt < 10; attempt++) {
      // Nothing of the caller's own: the repair is the computed instances alone, guarded likewise.
      const r = await commitWithAggregation(deps, p, await readPublications(deps.store, p), [], touched);
      if (!r.result.ok) continue;
      if (r.result.versions.length > 0) deps.logger.warn({ user: e.user, categories: r.touched }, 'aggregation repaired computed instances');
      return;
    }
  });
  return {
    stop: async () => {
      await sub.stop();
      await ping.stop();
    },
  };
}

export const aggregation: ServiceModule = { name: 'aggregation', start: startAggregation };
