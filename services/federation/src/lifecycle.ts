import { endpointGone, notifyOutcome, presenceChanged, type Bus, type BusSubscription, type PresenceChanged } from '@presence/bus';
import { every, HandOffs, KeyedBatcher, type Pools } from '@presence/runtime';
import { listRecords, remove, type Partition, type StoredRecord } from '@presence/state';
import type { FederationConfig } from './config.js';
import { fanOut } from './fanout.js';
import { endFedDialog, parseFedRef, sendOne, type FedDeps } from './notify.js';
import { etags, fedDialogs, type FedDialogRecord } from './records.js';
import { PublisherDocs, readPublisher } from './views.js';

/** Changes one instance takes at once: those that arrive while a batch is fanned out form the next. */
const CONCURRENCY = 64;

/**
 * Keeps this service's dialogs current and clean: every committed change is fanned out
 * ([MS-PRES] §3.7.5.4/5), a dialog whose NOTIFY was refused (481), timed out or lost its
 * connection ends (RFC 6665 §4.2.2), as do the dialogs of an endpoint that signed out; a dialog
 * whose time ran out gets a final NOTIFY (`terminated;reason=timeout`) and ends; expired entity tags go.
 */
export async function startLifecycle(d: FedDeps & { config: FederationConfig; pools: Pools }, bus: Bus): Promise<{ stop(): Promise<void> }> {
  const handOffs = new HandOffs();
  // Up to 16 users per batch, a user's waiting changes as one (see fanOut).
  const fanOuts = new KeyedBatcher<PresenceChanged>((e) => e.user, (batch) => fanOut(d, batch, handOffs));
  const subs: BusSubscription[] = [
    await bus.consume(
      presenceChanged,
      d.pool,
      'federation',
      async (e) => {
        await fanOuts.submit(e);
      },
      { concurrency: CONCURRENCY },
    ),
    await bus.consume(notifyOutcome, d.pool, 'federation', async (o) => {
      const ref = parseFedRef(o.ref);
      const dead = o.failure !== undefined || o.status === 481 || o.status === 408;
      if (!ref || !dead) return;
      if (await endFedDialog(d, { pool: d.pool, user: ref.subscriber }, ref.dialogId)) {
        d.logger.info({ subscriber: ref.subscriber, dialogId: ref.dialogId, status: o.status, failure: o.failure }, 'dialog ended by its NOTIFY outcome');
      }
    }),
    // An endpoint's dialogs end with its registration (its epid names them). They live in the pools
    // of the users it watches; the event comes to its home pool only, which ends them all.
    await bus.consume(endpointGone, d.pool, 'federation', async (e) => {
      for (const pool of d.pools.all) {
        const p: Partition = { pool: pool.id, user: e.user };
        for (const x of (await listRecords(d.store, p, fedDialogs)).filter((x) => x.value.epid !== '' && x.value.epid === e.epid)) await endFedDialog(d, p, x.id, x);
      }
    }),
  ];
  const sweep = every(
    d.config.PRESENCE_SWEEP_MS,
    async () => {
      const now = d.now?.() ?? Date.now();
      for (const due of await d.store.due(d.pool, fedDialogs.name, now, 200)) {
        const dlg = due.record as StoredRecord<FedDialogRecord>;
        // RFC 6665 §4.2.2: tell the subscriber its subscription ended, with the state as it is, then forget it.
        if (!(await endFedDialog(d, due.partition, dlg.id, dlg))) continue;
        const doc = new PublisherDocs(dlg.value.publisher, await readPublisher(d.store, { pool: d.pool, user: dlg.value.publisher }), d.directory).of(dlg.value);
        await sendOne(d, { dialogId: dlg.id, dialog: dlg.value, cseq: dlg.value.localCseq + 1, state: 'terminated;reason=timeout', body: doc.body, contentType: doc.contentType }).catch(() => false);
      }
      for (const due of await d.store.due(d.pool, etags.name, now, 200)) {
        // The publication's instances carry the same expiry: the publication service removes them, with aggregation.
        await d.store.apply(due.partition, [remove(etags, due.record.id, { expect: due.record.version })]);
      }
    },
    d.logger,
    'federation sweep',
  );
  return {
    stop: async () => {
      sweep.stop();
      await Promise.all(subs.map((s) => s.stop()));
      await fanOuts.settle();
      await handOffs.settle();
    },
  };
}
