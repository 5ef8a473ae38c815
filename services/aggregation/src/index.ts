import { aggregationDue } from '@presence/bus';
import { planAggregation, triggeredBy } from '@presence/presence';
import { commitAndAnnounce, servePing, type RunningService, type ServiceDeps, type ServiceModule } from '@presence/runtime';
import { listRecords, publications, type Partition } from '@presence/state';

/**
 * The aggregation service ([MS-PRES] §3.8). Computed instances (aggregateState, the
 * aggregateMachineState, legacyInterop, dndState, workingHours) are planned by the pure rules of
 * libs/presence and committed by the publication service in the same atomic change as the
 * publication, expiry or sign-out that triggers them, so the publish 200 carries them (§4.3).
 * This service re-checks every change that can trigger aggregation (`aggregation-due`, announced
 * with the change; other changes never reach it) and commits whatever is not in line (normally
 * nothing): outputs stay right even if a trigger ever bypassed the publication path, e.g. after the
 * rules change in an upgrade.
 */
export async function startAggregation(deps: ServiceDeps): Promise<RunningService> {
  const ping = await servePing('aggregation', deps);
  const sub = await deps.bus.consume(aggregationDue, deps.pool, 'aggregation', async (e) => {
    const touched = e.categories ?? [];
    if (triggeredBy(touched).length === 0) return;
    const p: Partition = { pool: deps.pool, user: e.user };
    for (let attempt = 0; attempt < 10; attempt++) {
      const plan = planAggregation(await listRecords(deps.store, p, publications), touched, new Date());
      if (plan.changes.length === 0) return;
      const r = await commitAndAnnounce({ store: deps.store, bus: deps.bus, pool: deps.pool, logger: deps.logger }, p, plan.changes, { categories: plan.touched });
      if (r.ok) {
        deps.logger.warn({ user: e.user, outputs: plan.touched }, 'aggregation repaired computed instances');
        return;
      }
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
