import type { Contact, ContactGroup } from './contacts.js';
import { docOk, schemaError, type DocResult } from './errors.js';
import { parseStateDoc } from './state.js';
import { parseXml, type XmlNode } from './xml.js';

/**
 * What a protocol gateway (the web service, the XMPP edge) reads of the documents the services send
 * to its endpoints: category notifications, contact lists and their deltas, version faults, the
 * addGroup answer. Lenient where the services are the writers (unreadable parts and unknown
 * elements are skipped, never thrown), strict where a value is used.
 */

/** One category of a notification, as the watcher was given it; `data` is empty when the category was emptied. */
export interface NotifiedCategory {
  readonly name: string;
  readonly instance?: string;
  readonly publishTime?: string;
  readonly data: string;
}

/** One `categories` document ([MS-PRES] §2.2.2.4): whose, and what. */
export interface NotifiedPresentity {
  readonly uri: string;
  readonly categories: readonly NotifiedCategory[];
}

/**
 * The parts of a `multipart/related` body (RFC 2046 §5.1.1: the CRLF before a delimiter belongs to
 * the delimiter), each with its Content-Type. A body that is not multipart is one part.
 */
export function splitMultipart(contentType: string, body: string): { contentType: string; body: string }[] {
  const boundary = /boundary="?([^";\s]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\//i.test(contentType.trim()) || !boundary) return [{ contentType, body }];
  const out: { contentType: string; body: string }[] = [];
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const sep = chunk.indexOf('\r\n\r\n');
    if (sep < 0) continue;
    const head = chunk.slice(0, sep);
    const ct = /(?:^|\r\n)content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '';
    out.push({ contentType: ct.trim(), body: chunk.slice(sep + 4).replace(/\r\n$/, '') });
  }
  return out;
}

/** A part is a categories document by its type ([MS-PRES] §4.5), or, untyped, by its root. */
const isCategoriesPart = (p: { contentType: string; body: string }) =>
  /^application\/msrtc-event-categories\+xml\b/i.test(p.contentType.trim()) || (p.contentType.trim() === '' && /^\s*<categories/.test(p.body));

/**
 * Every `categories` document of a category NOTIFY/BENOTIFY body or piggybacked 200 ([MS-PRES]
 * §2.2.2.4, §4.5): a lone document, or `multipart/related` (RFC 4662) whose categories parts each
 * hold one; the rlmi part and unreadable parts are skipped.
 */
export function parseNotifiedCategories(contentType: string, body: string): NotifiedPresentity[] {
  const out: NotifiedPresentity[] = [];
  for (const part of splitMultipart(contentType, body)) {
    if (!isCategoriesPart(part)) continue;
    const parsed = parseXml(part.body, ['category']);
    if (!parsed.ok || parsed.value.name !== 'categories') continue;
    const uri = parsed.value.attrs.uri;
    if (!uri) continue;
    const categories = parsed.value.children
      .filter((c) => c.name === 'category' && c.attrs.name)
      .map((c) => ({
        name: c.attrs.name!,
        ...(c.attrs.instance !== undefined ? { instance: c.attrs.instance } : {}),
        ...(c.attrs.publishTime !== undefined ? { publishTime: c.attrs.publishTime } : {}),
        data: c.raw ?? '',
      }));
    out.push({ uri, categories });
  }
  return out;
}

/** What a watcher sees of one presentity, read from its categories. */
export interface PresenceReading {
  availability?: number;
  activity?: string;
  note?: string;
  displayName?: string;
  /** publishTime of the state shown: when the user last changed it. */
  lastActive?: string;
}

const firstText = (n: XmlNode | undefined, name: string): string | undefined => {
  if (!n) return undefined;
  if (n.name === name) return n.text.trim() || undefined;
  for (const c of n.children) {
    const t = firstText(c, name);
    if (t !== undefined) return t;
  }
  return undefined;
};

/** The note text shown: a personal note before an OOF one ([MS-PRES] §2.2.2.7.3); undefined when empty. */
export function noteText(data: string): string | undefined {
  const parsed = parseXml(data);
  if (!parsed.ok) return undefined;
  const bodies = parsed.value.children.filter((b) => b.name === 'body');
  const chosen = bodies.find((b) => b.attrs.type === 'personal') ?? bodies[0];
  return chosen && chosen.text.trim() !== '' ? chosen.text.trim() : undefined;
}

/**
 * Reads the shown state (the aggregateState, [MS-PRES] §3.8.5.1.2.7, before any other state), the
 * note and the contact card's name out of a presentity's categories. An emptied category (no
 * data) leaves its field out: the watcher sees nothing of it.
 */
export function readPresence(categories: readonly NotifiedCategory[]): PresenceReading {
  const r: PresenceReading = {};
  for (const c of categories) {
    if (c.data.trim() === '') continue;
    if (c.name === 'state') {
      const doc = parseStateDoc(c.data);
      if (!doc || (doc.type !== 'aggregateState' && r.availability !== undefined)) continue;
      if (doc.availability !== undefined) r.availability = doc.availability;
      const a = doc.activities[0];
      const activity = a?.token ?? a?.custom[0]?.text;
      if (activity) r.activity = activity;
      else delete r.activity;
      if (c.publishTime) r.lastActive = c.publishTime;
    } else if (c.name === 'note') {
      const note = noteText(c.data);
      if (note !== undefined) r.note = note;
    } else if (c.name === 'contactCard') {
      const parsed = parseXml(c.data);
      if (!parsed.ok) continue;
      const name = firstText(parsed.value, 'displayName');
      if (name) r.displayName = name;
    }
  }
  return r;
}

/**
 * One presentity's change as a notification carries it: only the categories it names. `null` says
 * the category was emptied (the watcher may no longer see it, or it was never published).
 */
export interface PresentityView {
  readonly uri: string;
  /** The aggregated availability; only an aggregateState counts ([MS-PRES] §3.8.5.1.2.7). */
  readonly availability?: number | null;
  readonly activity?: string;
  readonly note?: string | null;
}

/** The {@link PresentityView} of one notified presentity. */
export function presentityView(p: NotifiedPresentity): PresentityView {
  let availability: number | null | undefined;
  let activity: string | undefined;
  let note: string | null | undefined;
  for (const c of p.categories) {
    if (c.name === 'state') {
      if (c.data.trim() === '') {
        availability = null;
        continue;
      }
      const doc = parseStateDoc(c.data);
      if (doc?.type !== 'aggregateState') continue;
      availability = doc.availability ?? null;
      activity = readPresence([c]).activity;
    } else if (c.name === 'note') {
      note = c.data.trim() === '' ? null : (noteText(c.data) ?? null);
    }
  }
  return {
    uri: p.uri,
    ...(availability !== undefined ? { availability } : {}),
    ...(activity !== undefined ? { activity } : {}),
    ...(note !== undefined ? { note } : {}),
  };
}

/** A full contact list or a delta ([MS-SIP] §2.2.4.1, §3.7) as a gateway mirrors it. */
export type ContactDocument =
  | { readonly kind: 'list'; readonly deltaNum: number; readonly groups: readonly ContactGroup[]; readonly contacts: readonly Contact[] }
  | {
      readonly kind: 'delta';
      readonly deltaNum: number;
      readonly prevDeltaNum: number;
      /** Added and modified contacts. */
      readonly upserted: readonly Contact[];
      readonly deleted: readonly string[];
    };

const withScheme = (uri: string) => (/^[a-z][a-z0-9+.-]*:/i.test(uri) ? uri : `sip:${uri}`);

function contactOf(n: XmlNode): Contact | undefined {
  if (!n.attrs.uri) return undefined;
  return {
    uri: withScheme(n.attrs.uri),
    name: n.attrs.name ?? '',
    groups: (n.attrs.groups ?? '').split(/\s+/).filter((g) => /^\d+$/.test(g)).map(Number),
    subscribed: n.attrs.subscribed === 'true',
    externalURI: n.attrs.externalURI ?? '',
  };
}

/** Reads a roaming-contacts body; contact URIs always come back with their `sip:` scheme. */
export function parseContactDocument(body: string): DocResult<ContactDocument> {
  const parsed = parseXml(body);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  const deltaNum = Number(root.attrs.deltaNum);
  if (!Number.isSafeInteger(deltaNum)) return schemaError(`${root.name}: deltaNum must be an integer`);
  const contacts = (tags: string[]) => root.children.filter((c) => tags.includes(c.name)).flatMap((c) => contactOf(c) ?? []);
  if (root.name === 'contactList') {
    const groups = root.children.filter((c) => c.name === 'group').map((g) => ({ id: Number(g.attrs.id), name: g.attrs.name ?? '', externalURI: g.attrs.externalURI ?? '' }));
    return docOk({ kind: 'list', deltaNum, groups, contacts: contacts(['contact']) });
  }
  if (root.name === 'contactDelta') {
    const deleted = root.children.filter((c) => c.name === 'deletedContact' && c.attrs.uri).map((c) => withScheme(c.attrs.uri!));
    return docOk({ kind: 'delta', deltaNum, prevDeltaNum: Number(root.attrs.prevDeltaNum ?? deltaNum - 1), upserted: contacts(['addedContact', 'modifiedContact']), deleted });
  }
  return schemaError(`expected contactList or contactDelta, got ${root.name}`);
}

/** The current versions a 409 fault names, by operation index ([MS-PRES] §2.2.2.2.3). */
export function parseFaultVersions(body: string): Map<number, number> {
  const out = new Map<number, number>();
  const parsed = parseXml(body, ['operation']);
  if (!parsed.ok) return out;
  for (const op of parsed.value.children.find((c) => c.name === 'details')?.children ?? []) {
    const index = Number(op.attrs.index);
    const cur = Number(op.attrs.curVersion);
    if (op.name === 'operation' && Number.isSafeInteger(index) && Number.isSafeInteger(cur)) out.set(index, cur);
  }
  return out;
}

/** Reads the group id out of the addGroup answer ([MS-SIP] 4.8). */
export function parseAddGroupResult(body: string): number | undefined {
  const m = /<(?:\w+:)?groupID>\s*(\d{1,10})\s*<\/(?:\w+:)?groupID>/.exec(body);
  return m ? Number(m[1]) : undefined;
}
