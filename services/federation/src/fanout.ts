import type { PresenceChanged } from '@presence/bus';
import { listRecords, put, remove, type Partition, type StoredRecord } from '@presence/state';
import { handNotifications, remaining, type FedDeps, type FedNotification } from './notify.js';
import { fedDialogs, fedWatchers, type FedDialogRecord, type FedWatcherRecord } from './records.js';
import { keepLegacySubscribers } from './subscriber-list.js';
import { PublisherDocs, readPublisher } from './views.js';

/** The categories a legacy document is built from ([MS-PRES] §3.7.5.4; the note for PIDF's `<note>`, RFC 3863 §4.1.6). */
const LEGACY_INPUTS = new Set(['legacyInterop', 'note']);

/** Rounds of re-reading after lost compare-and-sets before the change is given back to the bus. */
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

interface Target {
  readonly sp: Partition;
  readonly dialogId: string;
  readonly watcher?: StoredRecord<FedWatcherRecord>;
}

/**
 * The fan-out of one user's change to the dialogs of this service ([MS-PRES] §3.7.5.4, §3.7.5.5;
 * RFC 3857 §3.2 for winfo): every PIDF/MSRTC dialog watching the user and, when the subscriber list
 * changed, the user's own winfo dialogs, each getting a NOTIFY when its document changed.
 *
 * Ordering as in the subscription service's fan-out: the dialog records are read before the user's
 * data, and each NOTIFY's CSeq and fingerprint are committed with a compare-and-set on its dialog,
 * so a document of older data cannot take a later CSeq than one of newer data (it is computed
 * again). The documents are built once per (format, container) and shared; each edge gets one
 * message with all its NOTIFYs.
 */
export async function fanOut(d: FedDeps, e: PresenceChanged): Promise<number> {
  const { legacy, winfo } = affects(e);
  if (!legacy && !winfo) return 0;
  const pp: Partition = { pool: d.pool, user: e.user };
  let pending: Target[] = [];
  if (legacy) {
    for (const w of await listRecords(d.store, pp, fedWatchers)) pending.push({ sp: { pool: w.value.pool, user: w.value.subscriber }, dialogId: w.value.dialogId, watcher: w });
  }
  if (winfo) {
    await keepLegacySubscribers(d, e.user);
    for (const x of await listRecords(d.store, pp, fedDialogs)) if (x.value.kind === 'winfo') pending.push({ sp: pp, dialogId: x.id });
  }
  let sent = 0;
  for (let round = 0; pending.length > 0; round++) {
    if (round === MAX_ROUNDS) throw new Error(`could not notify ${pending.length} dialogs watching ${e.user}`);
    // The dialogs first (one read for all: a PIDF watcher has a dialog per presentity), then the data.
    const dialogs = (await d.store.getMany(pending.map((t) => ({ partition: t.sp, collection: fedDialogs.name, id: t.dialogId })))) as (StoredRecord<FedDialogRecord> | undefined)[];
    const docs = new PublisherDocs(e.user, await readPublisher(d.store, pp), d.directory);
    const stale = pending.filter((t, i) => !dialogs[i] && t.watcher);
    const planned = pending.flatMap((t, i) => {
      const dlg = dialogs[i];
      if (!dlg) return [];
      const doc = docs.of(dlg.value);
      return doc.fingerprint === dlg.value.seen ? [] : [{ t, dlg, doc }];
    });
    // A watcher without its dialog is what a dialog that ended mid-way (a crash) left: drop it,
    // together with every dialog's compare-and-set (one script on Redis).
    const removals = stale.map((t) => ({ partition: pp, changes: [remove(fedWatchers, t.watcher!.id, { expect: t.watcher!.version })] }));
    const commits = planned.map(({ t, dlg, doc }) => ({
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
    await handNotifications(d, out);
  }
  return sent;
}

/** Two changes of one user as one: the fan-out reads the current state, so only what they may affect adds up. */
function merge(a: PresenceChanged, b: PresenceChanged): PresenceChanged {
  const legacy = [...(a.categories ?? []), ...(b.categories ?? [])].filter((c) => LEGACY_INPUTS.has(c.name));
  const categories = [...new Map(legacy.map((c) => [`${c.name}\u0000${c.container}`, c])).values()];
  const containers = [...new Set([...(a.containers ?? []), ...(b.containers ?? [])])];
  return { user: a.user, at: b.at, categories, containers, subscribers: Boolean(a.subscribers || b.subscribers) };
}

/**
 * One fan-out of a user at a time (two never race each other's CSeqs), and the changes that arrive
 * meanwhile wait as one: a burst of changes of one user (a thousand watchers subscribing, each
 * adding to the subscriber list) costs two fan-outs, not a thousand. Each change's handler resolves
 * once a fan-out that started after it finished, so nothing is acknowledged before it is sent.
 */
export class FanOutQueue {
  private readonly waiting = new Map<string, { e: PresenceChanged; done: Promise<unknown> }>();
  private readonly running = new Map<string, Promise<unknown>>();

  constructor(private readonly run: (e: PresenceChanged) => Promise<unknown>) {}

  submit(e: PresenceChanged): Promise<unknown> {
    const w = this.waiting.get(e.user);
    if (w) {
      w.e = merge(w.e, e);
      return w.done;
    }
    const before = this.running.get(e.user) ?? Promise.resolve();
    const entry = { e, done: Promise.resolve() as Promise<unknown> };
    entry.done = before
      .catch(() => undefined)
      .then(() => {
        this.waiting.delete(e.user);
        return this.run(entry.e);
      });
    this.waiting.set(e.user, entry);
    this.running.set(e.user, entry.done);
    void entry.done.finally(() => this.running.get(e.user) === entry.done && this.running.delete(e.user)).catch(() => undefined);
    return entry.done;
  }

  /** Resolves once every fan-out started or waiting has ended (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.running.values()]);
  }
}
