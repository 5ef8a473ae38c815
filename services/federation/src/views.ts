import { createHash } from 'node:crypto';
import { buildMsrtcPidf, buildPidf, buildWatcherInfo, noteText, PIDF_CONTENT_TYPE } from '@presence/documents';
import { containerResolver, effectiveContainerSets, legacyStateOf, msrtcStateOf, pidfStatusOf, type Watcher } from '@presence/presence';
import type { UserDirectory } from '@presence/runtime';
import { containers, listRecords, publications, subscribers, type ContainerRecord, type Partition, type PublicationRecord, type Store, type StoredRecord, type SubscriberRecord } from '@presence/state';
import type { FedDialogRecord } from './records.js';

/** A document for a dialog: its body, type and a fingerprint (equal fingerprints: nothing to notify). */
export interface Doc {
  readonly body: string;
  readonly contentType: string;
  readonly fingerprint: string;
}

const fingerprint = (s: string) => createHash('sha256').update(s).digest('base64url').slice(0, 22);

/** A publisher's data as the documents need it, read once per change. */
export interface PublisherData {
  readonly pubs: readonly StoredRecord<PublicationRecord>[];
  readonly sets: readonly StoredRecord<ContainerRecord>[];
  /** Read only for winfo documents: a PIDF fan-out need not parse a list as long as the watchers. */
  readonly subscribers?: readonly StoredRecord<SubscriberRecord>[];
}

export async function readPublisher(store: Store, p: Partition, withSubscribers = true): Promise<PublisherData> {
  const [pubs, sets, subs] = await Promise.all([listRecords(store, p, publications), listRecords(store, p, containers), withSubscribers ? listRecords(store, p, subscribers) : undefined]);
  return { pubs, sets, ...(subs ? { subscribers: subs } : {}) };
}

/**
 * The documents of one publisher for many dialogs ([MS-PRES] §3.7.5.4, §3.7.5.5): each dialog is
 * resolved as a legacyInterop subscription of its subscriber (§3.7.5.1), and the document is built
 * once per (format, container) and shared by every dialog that resolves to it. A blocked watcher
 * and a watcher of an offline user get the same document (no instance: offline, §3.2.5.3).
 */
export class PublisherDocs {
  private readonly resolve: (w: Watcher) => number | null;
  private readonly docs = new Map<string, Doc>();

  constructor(
    private readonly publisher: string,
    private readonly data: PublisherData,
    private readonly directory: UserDirectory | undefined,
  ) {
    this.resolve = containerResolver('legacyInterop', data.pubs, effectiveContainerSets(data.sets));
  }

  of(dialog: FedDialogRecord): Doc {
    if (dialog.kind === 'winfo') return this.winfo(dialog);
    const container = this.resolve({ uri: dialog.subscriber, network: dialog.network });
    const key = `${dialog.kind}\u0000${container}`;
    let doc = this.docs.get(key);
    if (!doc) {
      doc = this.legacy(dialog.kind, container);
      this.docs.set(key, doc);
    }
    return doc;
  }

  /** The lowest instance of `category` in `container` (none when the watcher resolves to no container). */
  private lowest(category: string, container: number | null): PublicationRecord | undefined {
    if (container === null) return undefined;
    return this.data.pubs.filter((r) => r.value.categoryName === category && r.value.container === container).sort((a, b) => Number(a.value.instance) - Number(b.value.instance))[0]?.value;
  }

  /** §3.7.5.4/§3.7.5.5: the (lowest) legacyInterop instance of the resolved container. */
  private legacy(kind: 'pidf' | 'msrtc', container: number | null): Doc {
    const state = legacyStateOf(this.lowest('legacyInterop', container)?.data);
    const entry = this.directory?.get(this.publisher);
    const bare = this.publisher.replace(/^sips?:/i, '');
    const pidf = pidfStatusOf(state);
    // An offline document names nobody: a blocked watcher (container 32000, hard-coded offline,
    // §3.2.6.2) then gets exactly what a watcher of a user who is offline gets (§3.7.5.1).
    const visible = pidf.basic === 'open';
    // The note the same container shows a category subscriber (RFC 3863 §4.1.6 `<note>`): only while
    // open, so an offline or blocked document stays the same bytes.
    const note = visible ? noteText(this.lowest('note', container)?.data ?? '') : undefined;
    const body =
      kind === 'pidf'
        ? buildPidf({
            entity: this.publisher,
            basic: pidf.basic,
            activities: pidf.activity ? [pidf.activity] : [],
            ...(note ? { note } : {}),
            ...(visible && entry?.displayName ? { displayName: entry.displayName } : {}),
          })
        : buildMsrtcPidf({
            uri: bare,
            ...msrtcStateOf(state),
            ...(visible && entry?.displayName ? { displayName: entry.displayName } : {}),
            ...(visible && entry?.email ? { email: entry.email } : {}),
            ...(visible && entry?.phone ? { phoneNumber: entry.phone } : {}),
          });
    const contentType = kind === 'pidf' ? PIDF_CONTENT_TYPE.pidf : PIDF_CONTENT_TYPE.msrtc;
    return { body, contentType, fingerprint: fingerprint(body) };
  }

  /** RFC 3858: the user's subscriber list ([MS-PRES] §3.6) as watcher information. */
  private winfo(dialog: FedDialogRecord): Doc {
    if (!this.data.subscribers) throw new Error(`the subscriber list of ${this.publisher} was not read`);
    const list = [...this.data.subscribers].sort((a, b) => a.value.user.localeCompare(b.value.user));
    const watchers = list.map((s) => ({
      id: fingerprint(s.value.user).slice(0, 12),
      uri: s.value.user,
      status: 'active' as const,
      // A subscriber the user has not acknowledged yet is news (RFC 3857 §3.2 "subscribe"); an acknowledged one was approved.
      event: s.value.acknowledged ? ('approved' as const) : ('subscribe' as const),
      ...(s.value.displayName ? { displayName: s.value.displayName } : {}),
    }));
    const print = fingerprint(JSON.stringify(watchers));
    return { body: buildWatcherInfo(this.publisher, dialog.sent, watchers), contentType: PIDF_CONTENT_TYPE.watcherinfo, fingerprint: print };
  }
}
