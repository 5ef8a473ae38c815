import { endpointGone, notifyOutcome, presenceChanged, type Bus, type BusSubscription, type PresenceChanged } from '@presence/bus';
import { CONTENT_TYPE } from '@presence/documents';
import { every, HandOffs, KeyedBatcher } from '@presence/runtime';
import { dialogs, listRecords, type DialogRecord, type Partition, type StoredRecord } from '@presence/state';
import { endDialog } from './dialogs.js';
import { categoryFanOut } from './fanout.js';
import { notify, parseNotifyRef } from './notifier.js';
import { ROAMING_SELF, type SelfDeps } from './self.js';
import { selfDocument } from './self-view.js';
import { recordSignOut } from './signout.js';

/** Changes one instance takes at once: those that arrive while a batch is fanned out form the next. */
const FAN_OUT_CONCURRENCY = 64;

/**
 * Keeps self dialogs current and clean: every committed change goes out to each self dialog of the
 * user whose scope covers it, the publishing endpoint's included (§3.2.5.2, §3.3.5.2); dialogs
 * whose endpoint signed out, whose NOTIFY failed (481, timeout, lost connection) or whose time ran
 * out end.
 */
export async function startSelfLifecycle(d: SelfDeps, bus: Bus): Promise<{ stop(): Promise<void> }> {
  const handOffs = new HandOffs();
  // Changes of up to 16 publishers per batch, each bringing all its watchers: a batch's reads and
  // commits go to the store at once (see categoryFanOut).
  const fanOut = new KeyedBatcher<PresenceChanged>((e) => e.user, (batch) => categoryFanOut(d, batch.flat(), handOffs));
  // Self dialogs: one change of a user after the other, so a later state never goes out first.
  const selfChains = new Map<string, Promise<void>>();
  const notifySelf = async (e: PresenceChanged) => {
    const p: Partition = { pool: d.pool, user: e.user };
    for (const dlg of await listRecords(d.store, p, dialogs)) {
      if (dlg.value.event !== ROAMING_SELF) continue;
      const body = await selfDocument(d.store, p, new Set(dlg.value.scope ?? []), e);
      if (body !== undefined) await notify(d, p, dlg.id, body, CONTENT_TYPE.roamingSelf);
    }
  };
  const subs: BusSubscription[] = [
    await bus.consume(
      presenceChanged,
      d.pool,
      'subscription',
      async (e) => {
        const before = selfChains.get(e.user) ?? Promise.resolve();
        const self = before.catch(() => undefined).then(() => notifySelf(e));
        selfChains.set(e.user, self);
        void self.finally(() => selfChains.get(e.user) === self && selfChains.delete(e.user)).catch(() => undefined);
        // Changes handled at once are fanned out as a batch (see categoryFanOut).
        await Promise.all([self, fanOut.submit(e)]);
      },
      { concurrency: FAN_OUT_CONCURRENCY },
    ),
    // The endpoint's dialogs live in every pool it subscribed in (a pool GRUU puts them there,
    // [MS-PRES] §3.4.5.1.3.1); the event comes to its home pool only, which ends them all.
    await bus.consume(endpointGone, d.pool, 'subscription', async (e) => {
      await recordSignOut(d, d.pool, e.user, e.epid); // before listing: see signout.ts
      for (const pool of d.pools.all) {
        const p: Partition = { pool: pool.id, user: e.user };
        for (const x of (await listRecords(d.store, p, dialogs)).filter((x) => x.value.epid === e.epid)) await endDialog(d.store, p, x.id);
      }
    }),
    await bus.consume(notifyOutcome, d.pool, 'subscription', async (o) => {
      const dead = o.failure !== undefined || o.status === 481 || o.status === 408;
      const ref = parseNotifyRef(o.ref);
      if (!dead || !ref) return;
      await endDialog(d.store, { pool: d.pool, user: ref.user }, ref.dialogId);
      d.logger.info({ user: ref.user, dialogId: ref.dialogId, status: o.status, failure: o.failure }, 'dialog ended by its NOTIFY outcome');
    }),
  ];
  const sweep = every(
    d.config.PRESENCE_SWEEP_MS,
    async () => {
      for (const due of await d.store.due(d.pool, dialogs.name, d.now?.() ?? Date.now(), 200)) {
        const dlg = due.record as StoredRecord<DialogRecord>;
        // RFC 6665 §4.2.2: the subscription ended by timeout; tell the client, then forget it.
        await notify(d, due.partition, dlg.id, undefined, undefined, 'terminated;reason=timeout').catch(() => false);
        await endDialog(d.store, due.partition, dlg.id);
      }
    },
    d.logger,
    'subscription sweep',
  );
  return {
    stop: async () => {
      sweep.stop();
      await Promise.all(subs.map((s) => s.stop()));
      await fanOut.settle();
      await handOffs.settle();
    },
  };
}
