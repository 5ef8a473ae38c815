import type { PresenceChanged } from '@presence/bus';
import { buildCategories, CONTENT_TYPE, type CategoryView } from '@presence/documents';
import { resolveContainer, viewFingerprint, watcherViews, type Watcher } from '@presence/presence';
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
import type { NotifierDeps } from './notifier.js';
import { sendOnDialog } from './notifier.js';

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
export function viewsFor(w: Watcher, categories: readonly string[], s: PublisherState): Map<string, { views: CategoryView[]; fingerprint: string }> {
  const out = new Map<string, { views: CategoryView[]; fingerprint: string }>();
  for (const c of categories) {
    const container = resolveContainer(w, c, s.pubs, s.sets);
    const views = watcherViews(c, container, s.pubs);
    out.set(c, { views, fingerprint: viewFingerprint(container, views) });
  }
  return out;
}

const CONCURRENCY = 32;

/** Runs `f` over `items`, at most `n` at a time. */
async function pool<T>(items: readonly T[], n: number, f: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await f(items[i++]!);
    }),
  );
}

/**
 * Category fan-out ([MS-PRES] §3.2.5.3): after a change of publisher P, every dialog watching P is
 * re-resolved for the categories the change may affect, and gets one (BE)NOTIFY with the complete
 * instance set of each category whose view changed; nothing when its view did not change.
 *
 * Ordering: the (dialog, publisher) record and the dialog are read before P's data, and the new
 * fingerprints and the NOTIFY CSeq are committed together with a compare-and-set on both. A
 * notification computed from older data therefore cannot commit after one from newer data (its
 * compare-and-set fails and it is computed again), so CSeq order is state order, and the edge sends
 * in CSeq order.
 */
export async function categoryFanOut(d: NotifierDeps & { pool: string }, e: PresenceChanged): Promise<number> {
  const pp: Partition = { pool: d.pool, user: e.user };
  // A membership change can move any category; a publication change only its own.
  const affected = e.containers?.length ? undefined : new Set((e.categories ?? []).map((k) => k.name));
  if (affected && affected.size === 0) return 0;
  const ws = await listRecords(d.store, pp, watchers);
  if (ws.length === 0) return 0;
  const entries = await Promise.all(ws.map(async (w) => ({ w, ...(await readDialogPair(d, w.value, e.user)) })));
  const state = await readPublisher(d, pp);
  let sent = 0;
  await pool(entries, CONCURRENCY, async (entry) => {
    if (await notifyWatcher(d, entry.w, e.user, affected, entry, state)) sent++;
  });
  return sent;
}

type Pair = { dlg?: StoredRecord<DialogRecord>; dsub?: StoredRecord<DialogSubscriptionRecord> };

async function readDialogPair(d: NotifierDeps, w: WatcherRecord, publisher: string): Promise<Pair> {
  const sp: Partition = { pool: w.pool, user: w.subscriber };
  const [dlg, dsub] = await Promise.all([
    getRecord(d.store, sp, dialogs, w.dialogId),
    getRecord(d.store, sp, dialogSubscriptions, `${w.dialogId}|${publisher}`),
  ]);
  return { ...(dlg ? { dlg } : {}), ...(dsub ? { dsub } : {}) };
}

async function notifyWatcher(
  d: NotifierDeps & { pool: string },
  w: StoredRecord<WatcherRecord>,
  publisher: string,
  affected: Set<string> | undefined,
  first: Pair,
  firstState: PublisherState,
): Promise<boolean> {
  const sp: Partition = { pool: w.value.pool, user: w.value.subscriber };
  let pair = first;
  let state = firstState;
  for (let attempt = 0; attempt < 20; attempt++) {
    const { dlg, dsub } = pair;
    if (!dlg || !dsub) {
      // The dialog ended without cleaning up here (a crash mid-way): drop the stale watcher.
      await d.store.apply({ pool: w.value.pool, user: publisher }, [remove(watchers, w.id, { expect: w.version })]);
      return false;
    }
    const cats = dsub.value.categories.filter((c) => affected === undefined || affected.has(c));
    const now = viewsFor({ uri: w.value.subscriber, network: w.value.network }, cats, state);
    const changed = cats.filter((c) => now.get(c)!.fingerprint !== dsub.value.seen[c]);
    if (changed.length === 0) return false;
    const cseq = dlg.value.localCseq + 1;
    const seen = { ...dsub.value.seen };
    for (const c of changed) seen[c] = now.get(c)!.fingerprint;
    const r = await d.store.apply(sp, [
      put(dialogs, { ...dlg.value, localCseq: cseq }, { expect: dlg.version, ...(dlg.expiresAt !== undefined ? { expiresAt: dlg.expiresAt } : {}) }),
      put(dialogSubscriptions, { ...dsub.value, seen }, { expect: dsub.version }),
    ]);
    if (r.ok) {
      const body = buildCategories(publisher, changed.flatMap((c) => now.get(c)!.views));
      return sendOnDialog(d, sp, dlg.id, dlg.value, dlg.expiresAt, cseq, body, CONTENT_TYPE.eventCategories);
    }
    // Someone else notified this dialog meanwhile: read again, the records first, then the data.
    pair = await readDialogPair(d, w.value, publisher);
    state = await readPublisher(d, { pool: d.pool, user: publisher });
  }
  throw new Error(`could not notify dialog ${w.value.dialogId} of ${publisher}`);
}
