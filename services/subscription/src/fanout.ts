import type { PresenceChanged } from '@presence/bus';
import { CONTENT_TYPE, type CategoryView } from '@presence/documents';
import type { Watcher } from '@presence/presence';
import {
  containers,
  dialogs,
  dialogSubscriptions,
  getRecord,
  listRecords,
  publications,
  put,
  remove,
  watchers,
  type ContainerRecord,
  type DialogRecord,
  type DialogSubscriptionRecord,
  type Partition,
  type PublicationRecord,
  type StoredRecord,
  type WatcherRecord,
} from '@presence/state';
import { handToEdges, type HandOffs, type Notification } from './edge-batch.js';
import type { NotifierDeps } from './notifier.js';
import { SharedViews } from './shared-views.js';

/** A publisher's data as resolution needs it. */
export interface PublisherState {
  readonly pubs: readonly StoredRecord<PublicationRecord>[];
  readonly sets: readonly StoredRecord<ContainerRecord>[];
}

export async function readPublisher(d: NotifierDeps, p: Partition): Promise<PublisherState> {
  const [pubs, sets] = await Promise.all([listRecords(d.store, p, publications), listRecords(d.store, p, containers)]);
  return { pubs, sets };
}

/** What one watcher sees of the given categories: container, views and fingerprint per category. */
export function viewsFor(w: Watcher, categories: readonly string[], s: PublisherState): Map<string, { views: readonly CategoryView[]; fingerprint: string }> {
  const shared = new SharedViews('', s);
  return new Map(categories.map((c) => [c, shared.of(w, c)]));
}

/** Rounds of re-reading after lost compare-and-sets before the event is given back to the bus. */
const MAX_ROUNDS = 20;

type Pair = { dlg?: StoredRecord<DialogRecord>; dsub?: StoredRecord<DialogSubscriptionRecord> };

interface Planned {
  readonly w: StoredRecord<WatcherRecord>;
  readonly sp: Partition;
  readonly dlg: StoredRecord<DialogRecord>;
  readonly dsub: StoredRecord<DialogSubscriptionRecord>;
  readonly changed: readonly string[];
  readonly fingerprints: readonly string[];
}

/**
 * Category fan-out ([MS-PRES] §3.2.5.3): after a change of publisher P, every dialog watching P is
 * re-resolved for the categories the change may affect, and gets one (BE)NOTIFY with the complete
 * instance set of each category whose view changed; nothing when its view did not change.
 *
 * Work per change, not per watcher: P's data is read once, each category is resolved per distinct
 * container and its views and fingerprint computed once (see {@link SharedViews}), and every
 * watcher that sees the same thing gets the same body. The store is asked in batches (all
 * watchers' records at once, all commits at once: one pipeline each on Redis), and the edge gets
 * one message carrying all its notifications, which the next change need not wait for (`handOffs`).
 *
 * Ordering: the (dialog, publisher) records and the dialogs are read before P's data, and the new
 * fingerprints and the NOTIFY CSeq are committed together with a compare-and-set on both. A
 * notification computed from older data therefore cannot commit after one from newer data (its
 * compare-and-set fails and it is computed again), so CSeq order is state order, and the edge sends
 * in CSeq order.
 */
export async function categoryFanOut(d: NotifierDeps & { pool: string }, e: PresenceChanged, handOffs?: HandOffs): Promise<number> {
  const pp: Partition = { pool: d.pool, user: e.user };
  // A membership change can move any category; a publication change only its own.
  const affected = e.containers?.length ? undefined : new Set((e.categories ?? []).map((k) => k.name));
  if (affected && affected.size === 0) return 0;
  let pending = await listRecords(d.store, pp, watchers);
  let committed = 0;
  for (let round = 0; pending.length > 0; round++) {
    if (round === MAX_ROUNDS) throw new Error(`could not notify ${pending.length} dialogs of ${e.user}`);
    // The records first, then the data (see above).
    const pairs = await Promise.all(pending.map((w) => readDialogPair(d, w.value, e.user)));
    const shared = new SharedViews(e.user, await readPublisher(d, pp));
    const plans: Planned[] = [];
    const stale: StoredRecord<WatcherRecord>[] = [];
    pending.forEach((w, i) => {
      const { dlg, dsub } = pairs[i]!;
      if (!dlg || !dsub) return void stale.push(w);
      const cats = affected === undefined ? dsub.value.categories : dsub.value.categories.filter((c) => affected.has(c));
      const watcher = { uri: w.value.subscriber, network: w.value.network };
      const changed: string[] = [];
      const fingerprints: string[] = [];
      for (const c of cats) {
        const fp = shared.of(watcher, c).fingerprint;
        if (fp === dsub.value.seen[c]) continue;
        changed.push(c);
        fingerprints.push(fp);
      }
      if (changed.length > 0) plans.push({ w, sp: { pool: w.value.pool, user: w.value.subscriber }, dlg, dsub, changed, fingerprints });
    });
    // A watcher without its dialog is a leftover of a dialog that ended mid-way (a crash): drop it.
    await Promise.all(stale.map((w) => d.store.apply(pp, [remove(watchers, w.id, { expect: w.version })])));
    const results = await Promise.all(plans.map((p) => commit(d, p)));
    const out: Notification[] = [];
    pending = [];
    plans.forEach((p, i) => {
      if (!results[i]) return void pending.push(p.w);
      const watcher = { uri: p.w.value.subscriber, network: p.w.value.network };
      out.push({ partition: p.sp, dialogId: p.dlg.id, dialog: p.dlg.value, expiresAt: p.dlg.expiresAt, cseq: p.dlg.value.localCseq + 1, body: shared.body(watcher, p.changed), contentType: CONTENT_TYPE.eventCategories });
    });
    committed += out.length;
    if (handOffs) await handOffs.add(handToEdges(d, out));
    else await handToEdges(d, out);
  }
  return committed;
}

/** The new CSeq and fingerprints, with a compare-and-set on the dialog and the (dialog, publisher) record. */
async function commit(d: NotifierDeps, p: Planned): Promise<boolean> {
  const seen = { ...p.dsub.value.seen };
  p.changed.forEach((c, i) => (seen[c] = p.fingerprints[i]!));
  const r = await d.store.apply(p.sp, [
    // keepExpiry: a notification is no refresh, so the dialog's expiry and its index entry stay as they are.
    put(dialogs, { ...p.dlg.value, localCseq: p.dlg.value.localCseq + 1 }, { expect: p.dlg.version, keepExpiry: true }),
    put(dialogSubscriptions, { ...p.dsub.value, seen }, { expect: p.dsub.version }),
  ]);
  return r.ok;
}

async function readDialogPair(d: NotifierDeps, w: WatcherRecord, publisher: string): Promise<Pair> {
  const sp: Partition = { pool: w.pool, user: w.subscriber };
  const [dlg, dsub] = await Promise.all([
    getRecord(d.store, sp, dialogs, w.dialogId),
    getRecord(d.store, sp, dialogSubscriptions, `${w.dialogId}|${publisher}`),
  ]);
  return { ...(dlg ? { dlg } : {}), ...(dsub ? { dsub } : {}) };
}
