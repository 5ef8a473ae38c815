import type { PresenceChanged } from '@presence/bus';
import type { HandOffs } from '@presence/runtime';
import { listRecords, put, remove, type Partition, type PartitionChanges, type StoredRecord } from '@presence/state';
import { handNotifications, remaining, type FedDeps, type FedNotification } from './notify.js';
import { fedDialogs, fedWatchers, type FedDialogRecord, type FedWatcherRecord } from './records.js';
import { keepLegacySubscribers } from './subscriber-list.js';
import { PublisherDocs, readPublisher } from './views.js';

/** The categories a legacy document is built from ([MS-PRES] §3.7.5.4; the note for PIDF's `<note>`, RFC 3863 §4.1.6). */
const LEGACY_INPUTS = new Set(['legacyInterop', 'note']);

/** Rounds of re-reading after lost compare-and-sets before the changes are given back to the bus. */
const MAX_ROUNDS = 20;

/**
 * Whether a change can alter a legacy document (the legacyInterop instances, the note a PIDF
 * document carries, or who sees which, [MS-PRES] §3.7.5.4) or a watcher-info document (the
 * subscriber list).
 */
export function affects(e: PresenceChanged): { legacy: boolean; winfo: boolean } {
  const legacy = Boolean(e.containers?.length) || (e.categories ?? []).some((c) => LEGACY_INPUTS.has(c.name));
  return { legacy, winfo: Boolean(e.subscribers) };
}

/** What several changes of one user may affect, together. */
function affectsAny(events: readonly PresenceChanged[]): { legacy: boolean; winfo: boolean } {
  const each = events.map(affects);
  return { legacy: each.some((a) => a.legacy), winfo: each.some((a) => a.winfo) };
}

/** One dialog to look at: a PIDF/MSRTC dialog watching `publisher`, or one of the publisher's winfo dialogs. */
interface Target {
  readonly publisher: string;
  readonly sp: Partition;
  readonly dialogId: string;
  readonly watcher?: StoredRecord<FedWatcherRecord>;
}

/** The dialogs a user's changes may concern. */
async function targetsOf(d: FedDeps, user: string, events: readonly PresenceChanged[]): Promise<Target[]> {
  const { legacy, winfo } = affectsAny(events);
  const pp: Partition = { pool: d.pool, user };
  const out: Target[] = [];
  if (legacy) {
    for (const w of await listRecords(d.store, pp, fedWatchers)) out.push({ publisher: user, sp: { pool: w.value.pool, user: w.value.subscriber }, dialogId: w.value.dialogId, watcher: w });
  }
  if (winfo) {
    await keepLegacySubscribers(d, user);
    for (const x of await listRecords(d.store, pp, fedDialogs)) if (x.value.kind === 'winfo') out.push({ publisher: user, sp: pp, dialogId: x.id });
  }
  return out;
}

/**
 * The fan-out of users' changes to the dialogs of this service ([MS-PRES] §3.7.5.4, §3.7.5.5;
 * RFC 3857 §3.2 for winfo): every PIDF/MSRTC dialog watching one of the users and, when a
 * subscriber list changed, the user's own winfo dialogs, each getting a NOTIFY when its document
 * changed. `batch` holds the changes of each user (one list per user).
 *
 * Work per batch, as the subscription service's category fan-out: the dialogs of every user in one
 * read, each user's data once, the documents built once per (user, format, container) and shared,
 * every compare-and-set in one write, and one message per edge with all its NOTIFYs, which the next
 * batch need not wait for (`handOffs`).
 *
 * Ordering: the dialog records are read before the users' data, and each NOTIFY's CSeq and
 * fingerprint are committed with a compare-and-set on its dialog, so a document of older data cannot
 * take a later CSeq than one of newer data (it is computed again); the edge sends in CSeq order.
 */
export async function fanOut(d: FedDeps, batch: readonly (readonly PresenceChanged[])[], handOffs: HandOffs): Promise<number> {
  let pending = (await Promise.all(batch.filter((events) => events.length > 0).map((events) => targetsOf(d, events[0]!.user, events)))).flat();
  let sent = 0;
  for (let round = 0; pending.length > 0; round++) {
    if (round === MAX_ROUNDS) throw new Error(`could not notify ${pending.length} dialogs`);
    // The dialogs first (one read for all: a PIDF watcher has a dialog per presentity), then the data.
    const dialogs = (await d.store.getMany(pending.map((t) => ({ partition: t.sp, collection: fedDialogs.name, id: t.dialogId })))) as (StoredRecord<FedDialogRecord> | undefined)[];
    // The subscriber list only for users with winfo dialogs to look at (a winfo target has no watcher record).
    const users = new Map<string, boolean>();
    for (const t of pending) users.set(t.publisher, (users.get(t.publisher) ?? false) || !t.watcher);
    const docs = new Map(
      await Promise.all([...users].map(async ([u, winfo]) => [u, new PublisherDocs(u, await readPublisher(d.store, { pool: d.pool, user: u }, winfo), d.directory)] as const)),
    );
    const stale = pending.filter((t, i) => !dialogs[i] && t.watcher);
    const planned = pending.flatMap((t, i) => {
      const dlg = dialogs[i];
      if (!dlg) return [];
      const doc = docs.get(t.publisher)!.of(dlg.value);
      return doc.fingerprint === dlg.value.seen ? [] : [{ t, dlg, doc }];
    });
    // A watcher without its dialog is what a dialog that ended mid-way (a crash) left: drop it,
    // together with every dialog's compare-and-set (one script on Redis).
    const removals: PartitionChanges[] = stale.map((t) => ({ partition: { pool: d.pool, user: t.publisher }, changes: [remove(fedWatchers, t.watcher!.id, { expect: t.watcher!.version })] }));
    const commits: PartitionChanges[] = planned.map(({ t, dlg, doc }) => ({
      partition: t.sp,
      changes: [put(fedDialogs, { ...dlg.value, localCseq: dlg.value.localCseq + 1, seen: doc.fingerprint, sent: dlg.value.sent + 1 }, { expect: dlg.version, keepExpiry: true })],
    }));
    const results = (await d.store.applyEach([...removals, ...commits])).slice(removals.length);
    const out: FedNotification[] = [];
    pending = [];
    planned.forEach(({ t, dlg, doc }, i) => {
      if (!results[i]!.ok) return void pending.push(t);
      out.push({ dialogId: t.dialogId, dialog: dlg.value, cseq: dlg.value.localCseq + 1, state: `active;expires=${remaining(d, dlg.expiresAt)}`, body: doc.body, contentType: doc.contentType });
    });
    sent += out.length;
    await handOffs.add(handNotifications(d, out).catch((err: unknown) => d.logger.warn({ err }, 'ending dialogs whose connections are gone failed')));
  }
  return sent;
}
