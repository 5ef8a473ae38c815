import type { Contact, ContactGroup } from './contacts.js';
import { docOk, schemaError, type DocResult } from './errors.js';
import { NS } from './namespaces.js';
import { parseXml, type XmlNode } from './xml.js';

/**
 * What a protocol gateway reads of the documents the services send to an endpoint: category
 * notifications, contact lists and their deltas, version faults. Lenient where the services are
 * the writers (unknown elements are skipped), strict where a value is used.
 */

/** One presentity's view in a category notification: only what the notification carries. */
export interface PresentityView {
  readonly uri: string;
  /** The aggregated availability (`state` category), `null` when the category is emptied. */
  readonly availability?: number | null;
  readonly activity?: string;
  /** The personal (or out-of-office) note text, `null` when emptied. */
  readonly note?: string | null;
}

function viewOf(root: XmlNode): PresentityView | undefined {
  if (root.name !== 'categories' || root.ns !== NS.categories || !root.attrs.uri) return undefined;
  let availability: number | null | undefined;
  let activity: string | undefined;
  let note: string | null | undefined;
  for (const c of root.children.filter((x) => x.name === 'category')) {
    if (c.attrs.name === 'state') {
      const state = c.children.find((x) => x.name === 'state');
      if (!state) {
        availability = null;
        continue;
      }
      // Subscribers see the aggregateState of the container they are in ([MS-PRES] §3.8.5.1.2.7).
      const type = (state.attrs.type ?? '').split(':').pop();
      if (type !== 'aggregateState') continue;
      const a = Number(state.children.find((x) => x.name === 'availability')?.text.trim());
      availability = Number.isSafeInteger(a) ? a : null;
      activity = state.children.find((x) => x.name === 'activity')?.attrs.token;
    } else if (c.attrs.name === 'note') {
      const body = c.children.find((x) => x.name === 'note')?.children.find((x) => x.name === 'body');
      note = body ? body.text : null;
    }
  }
  return {
    uri: root.attrs.uri,
    ...(availability !== undefined ? { availability } : {}),
    ...(activity !== undefined ? { activity } : {}),
    ...(note !== undefined ? { note } : {}),
  };
}

/** The categories documents of one part or whole body. */
function viewsOfXml(xml: string): PresentityView[] {
  const parsed = parseXml(xml);
  if (!parsed.ok) return [];
  const v = viewOf(parsed.value);
  return v ? [v] : [];
}

/**
 * The presentities of a category NOTIFY/BENOTIFY body or piggybacked 200 ([MS-PRES] §2.2.2.4,
 * §4.5): a lone `categories` document, or `multipart/related` (RFC 4662) whose
 * `application/msrtc-event-categories+xml` parts each hold one.
 */
export function parseCategoryNotify(contentType: string, body: string): PresentityView[] {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type !== 'multipart/related') return type === 'application/msrtc-event-categories+xml' ? viewsOfXml(body) : [];
  const boundary = /boundary="?([^";\s]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return [];
  // RFC 2046 §5.1.1: the CRLF before each delimiter belongs to the delimiter.
  const chunks = body.split(`--${boundary}`).slice(1, -1);
  const out: PresentityView[] = [];
  for (const chunk of chunks) {
    const at = chunk.indexOf('\r\n\r\n');
    if (at < 0) continue;
    const head = chunk.slice(0, at).toLowerCase();
    if (!head.includes('application/msrtc-event-categories+xml')) continue;
    out.push(...viewsOfXml(chunk.slice(at + 4).trim()));
  }
  return out;
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

