import { endpointGone, endpointRegistered, type Bus, type BusSubscription } from '@presence/bus';
import { planEndpointGone, planServerPublications, uniqueKeys, type CategoryKey, type DirectoryEntry } from '@presence/presence';
import { commitAndAnnounce, commitWithAggregation, every, readPublications, sweepOutbox, type UserDirectory } from '@presence/runtime';
import { listRecords, publications, registrations, remove, type Change, type Partition, type PublicationRecord, type StoredRecord } from '@presence/state';
import type { HandlerDeps } from './handlers.js';

/** The per-user server publication timer ([MS-PRES] §3.2.6.2), kept as a record with an expiry. */
const SERVER_TIMER = 'srv';

/** The contactCard and userProperties attributes of a user, read from the directory (issue 15 item 3). */
function entryFor(directory: UserDirectory | undefined, user: string): DirectoryEntry {
  const e = directory?.get(user);
  return { displayName: e?.displayName ?? user.replace(/^sip:/, '').split('@')[0]!, ...(e?.email ? { email: e.email } : {}), ...(e?.phone ? { phone: e.phone } : {}) };
}

class RetryError extends Error {
  readonly code = 'PRES_ERR_RETRY';
}

/**
 * Everything that changes publications without a client asking: endpoints going away (§3.2.5.5),
 * time expiry (§3.2.6.1), server publications at sign-in and on their timer (§3.2.6.2), and
 * announcements left in the outbox. Each removal is announced like a publish.
 */
export async function startLifecycle(d: HandlerDeps & { intervalS: number; sweepMs: number }, bus: Bus): Promise<{ stop(): Promise<void> }> {
  const subs: BusSubscription[] = [];
  const serverPublish = async (user: string): Promise<void> => {
    const p: Partition = { pool: d.pool, user };
    const plan = planServerPublications(entryFor(d.directory, user), await listRecords(d.store, p, publications), new Date(d.now?.() ?? Date.now()));
    const r = await commitAndAnnounce(d, p, plan.changes, { categories: plan.touched });
    if (!r.ok) throw new RetryError(`server publications for ${user} raced a client publish`);
    await d.store.apply(p, [{ op: 'put', collection: SERVER_TIMER, id: 'timer', value: {}, expiresAt: (d.now?.() ?? Date.now()) + d.intervalS * 1000 }]);
  };

  /** Commits removals with the aggregation they trigger; a race with a publish is planned again. */
  const removeWithAggregation = async (p: Partition, plan: (current: StoredRecord<PublicationRecord>[]) => { changes: Change[]; touched: CategoryKey[] }) => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const snap = await readPublications(d.store, p);
      const base = plan(snap.records);
      if ((await commitWithAggregation(d, p, snap, base.changes, base.touched)).result.ok) return;
    }
    throw new RetryError(`removal for ${p.user} kept racing publishes`);
  };

  subs.push(
    await bus.consume(endpointGone, d.pool, 'publication', async (e) => {
      await removeWithAggregation({ pool: d.pool, user: e.user }, (current) => planEndpointGone(current, e.epid, e.lastEndpoint));
    }),
    await bus.consume(endpointRegistered, d.pool, 'publication', async (e) => serverPublish(e.user)),
  );

  const sweep = every(
    d.sweepMs,
    async () => {
      const now = d.now?.() ?? Date.now();
      for (const due of await d.store.due(d.pool, publications.name, now, 200)) {
        const rec = due.record as StoredRecord<PublicationRecord>;
        await removeWithAggregation(due.partition, (current) => {
          const still = current.find((r) => r.id === rec.id && r.version === rec.version);
          return still ? { changes: [remove(publications, rec.id, { expect: rec.version })], touched: uniqueKeys([rec]) } : { changes: [], touched: [] };
        });
      }
      for (const due of await d.store.due(d.pool, SERVER_TIMER, now, 200)) {
        const signedIn = (await listRecords(d.store, due.partition, registrations)).length > 0;
        if (signedIn) await serverPublish(due.partition.user);
        else await d.store.apply(due.partition, [{ op: 'delete', collection: SERVER_TIMER, id: 'timer', expect: due.record.version }]);
      }
      await sweepOutbox(d);
    },
    d.logger,
    'publication sweep',
  );

  return {
    stop: async () => {
      sweep.stop();
      await Promise.all(subs.map((s) => s.stop()));
    },
  };
}
