import type { PresenceChanged } from '@presence/bus';
import { CONTENT_TYPE, type CategoryView } from '@presence/documents';
import type { Watcher } from '@presence/presence';
import {
  containers,
  dialogs,
  dialogSubscriptions,
  listRecords,
  publications,
  put,
  remove,
  watchers,
  type ContainerRecord,
  type DialogRecord,
  type DialogSubscriptionRecord,
  type Partition,
  type PartitionChanges,
  type PublicationRecord,
  type RecordRef,
  type StoredRecord,
  type WatcherRecord,
} from '@presence/state';
import type { HandOffs } from '@presence/runtime';
import { handNotifications, type Notification } from './edge-batch.js';
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

/** Rounds of re-reading after lost compare-and-sets before the events are given back to the bus. */
const MAX_ROUNDS = 20;

/** One watcher of one changed publisher: a (dialog, publisher) pair to look at. */
interface Entry {
  readonly publisher: string;
  readonly affected: ReadonlySet<string> | undefined;
  readonly w: StoredRecord<WatcherRecord>;
}

interface Planned extends Entry {
  readonly dsub: StoredRecord<DialogSubscriptionRecord>;
  readonly changed: readonly string[];
  readonly fingerprints: readonly string[];
}

/** The plans of one dialog: committed together, with one compare-and-set on the dialog. */
interface DialogPlan {
  readonly sp: Partition;
  readonly dlg: StoredRecord<DialogRecord>;
  readonly entries: Planned[];
}

/** The changes of one publisher in a batch: the categories they may affect (undefined: all). */
function merge(events: readonly PresenceChanged[]): Map<string, ReadonlySet<string> | undefined> {
  const out = new Map<string, Set<string> | undefined>();
  for (const e of events) {
    // A membership change can move any category; a publication change only its own.
    const all = Boolean(e.containers?.length);
    const prev = out.get(e.user);
    if (out.has(e.user) && prev === undefined) continue;
    if (all) out.set(e.user, undefined);
    else out.set(e.user, new Set([...(prev ?? []), ...(e.categories ?? []).map((k) => k.name)]));
  }
  for (const [user, cats] of out) if (cats && cats.size === 0) out.delete(user);
  return out;
}

/**
 * Category fan-out ([MS-PRES] §3.2.5.3): after changes of publishers, every dialog watching one of
 * them is re-resolved for the categories the changes may affect, and gets one (BE)NOTIFY per
 * publisher with the complete instance set of each category whose view changed; nothing when its
 * view did not change.
 *
 * Work per batch of changes, not per watcher: each publisher's data is read once, each category
 * resolved per distinct container and its views and fingerprint computed once (see
 * {@link SharedViews}), and every watcher that sees the same thing gets the same body. The store is
 * asked in batches (every watcher of every change at once, all commits at once: one pipeline each
 * on Redis), a dialog watching several changed publishers is committed once, and each edge gets one
 * message carrying all its notifications, which the next batch need not wait for (`handOffs`).
 *
 * Ordering: the (dialog, publisher) records and the dialogs are read before the publishers' data,
 * and the new fingerprints and the NOTIFY CSeqs are committed together with a compare-and-set on
 * all of them. A notification computed from older data therefore cannot commit after one from newer
 * data (its compare-and-set fails and it is computed again), so CSeq order is state order, and the
 * edge sends in CSeq order. Two changes of one publisher in one batch are one notification, of the
 * newer state (the batch reads the data after both).
 */
export async function categoryFanOut(d: NotifierDeps & { pool: string }, events: readonly PresenceChanged[], handOffs?: HandOffs): Promise<number> {
  const publishers = merge(events);
  const lists = await Promise.all([...publishers].map(async ([publisher, affected]) => (await listRecords(d.store, { pool: d.pool, user: publisher }, watchers)).map((w): Entry => ({ publisher, affected, w }))));
  let pending = lists.flat();
  let committed = 0;
  for (let round = 0; pending.length > 0; round++) {
    if (round === MAX_ROUNDS) throw new Error(`could not notify ${pending.length} dialogs of ${publishers.size} publishers`);
    // The records first, then the data (see above); all of them in one read.
    const refs: RecordRef[] = [];
    const dialogAt = new Map<string, number>();
    const rows = pending.map((x) => {
      const sp: Partition = { pool: x.w.value.pool, user: x.w.value.subscriber };
      const key = `${sp.pool}\u0000${sp.user}\u0000${x.w.value.dialogId}`;
      let di = dialogAt.get(key);
      if (di === undefined) {
        dialogAt.set(key, (di = refs.length));
        refs.push({ partition: sp, collection: dialogs.name, id: x.w.value.dialogId });
      }
      refs.push({ partition: sp, collection: dialogSubscriptions.name, id: `${x.w.value.dialogId}|${x.publisher}` });
      return { x, sp, key, di, si: refs.length - 1 };
    });
    const got = await d.store.getMany(refs);
    const views = new Map(
      await Promise.all([...new Set(pending.map((x) => x.publisher))].map(async (p) => [p, new SharedViews(p, await readPublisher(d, { pool: d.pool, user: p }))] as const)),
    );
    const byDialog = new Map<string, DialogPlan>();
    const stale: Entry[] = [];
    // Plain loops and literals from here on: a fan-out goes through this per watcher (no spreads).
    for (const { x, sp, key, di, si } of rows) {
      const dialog = got[di] as StoredRecord<DialogRecord> | undefined;
      const dsub = got[si] as StoredRecord<DialogSubscriptionRecord> | undefined;
      if (!dialog || !dsub) {
        stale.push(x);
        continue;
      }
      const cats = x.affected === undefined ? dsub.value.categories : dsub.value.categories.filter((c) => x.affected!.has(c));
      const watcher = { uri: x.w.value.subscriber, network: x.w.value.network };
      const shared = views.get(x.publisher)!;
      const changed: string[] = [];
      const fingerprints: string[] = [];
      for (const c of cats) {
        const fp = shared.of(watcher, c).fingerprint;
        if (fp === dsub.value.seen[c]) continue;
        changed.push(c);
        fingerprints.push(fp);
      }
      if (changed.length === 0) continue;
      const plan = byDialog.get(key) ?? { sp, dlg: dialog, entries: [] };
      byDialog.set(key, plan);
      plan.entries.push({ publisher: x.publisher, affected: x.affected, w: x.w, dsub, changed, fingerprints });
    }
    // A watcher without its dialog is a leftover of a dialog that ended mid-way (a crash): drop it.
    // Those removals and every dialog's commit go to the store together (one script on Redis).
    const removals: PartitionChanges[] = stale.map((x) => ({ partition: { pool: d.pool, user: x.publisher }, changes: [remove(watchers, x.w.id, { expect: x.w.version })] }));
    const plans = [...byDialog.values()];
    const results = (await d.store.applyEach([...removals, ...plans.map(commitOf)])).slice(removals.length);
    const out: Notification[] = [];
    pending = [];
    plans.forEach((p, i) => {
      if (!results[i]!.ok) return void pending.push(...p.entries);
      p.entries.forEach((x, k) => {
        const watcher = { uri: x.w.value.subscriber, network: x.w.value.network };
        const body = views.get(x.publisher)!.body(watcher, x.changed);
        out.push({ partition: p.sp, dialogId: p.dlg.id, dialog: p.dlg.value, expiresAt: p.dlg.expiresAt, cseq: p.dlg.value.localCseq + 1 + k, body, contentType: CONTENT_TYPE.eventCategories });
      });
    });
    committed += out.length;
    if (handOffs) await handOffs.add(handNotifications(d, out));
    else await handNotifications(d, out);
  }
  return committed;
}

/** A dialog's next CSeqs (one per publisher notified) and the new fingerprints, with a compare-and-set on every record. */
function commitOf(p: DialogPlan): PartitionChanges {
  const changes = [
    // keepExpiry: a notification is no refresh, so the dialog's expiry and its index entry stay as they are.
    put(dialogs, { ...p.dlg.value, localCseq: p.dlg.value.localCseq + p.entries.length }, { expect: p.dlg.version, keepExpiry: true }),
    ...p.entries.map((x) => {
      const seen = { ...x.dsub.value.seen };
      x.changed.forEach((c, i) => (seen[c] = x.fingerprints[i]!));
      return put(dialogSubscriptions, { ...x.dsub.value, seen }, { expect: x.dsub.version });
    }),
  ];
  return { partition: p.sp, changes };
}
