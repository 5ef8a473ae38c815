import { CONTACT_SOAP_NS, SOAP_ENV_NS } from './contacts.js';
import { NS } from './namespaces.js';
import { STATE_NS, XSI_NS, parseStateDoc } from './state.js';
import { element, esc, parseXml, type XmlNode } from './xml.js';

/**
 * The documents a web session (services/web) sends and reads as an endpoint: the same MS-PRES
 * bodies a Lync client sends, so the services treat a browser like any endpoint, and the
 * category documents of the notifications it gets, read into plain values.
 */

const NOTE_NS = 'http://schemas.microsoft.com/2006/09/sip/note';

/** One state publication of a web endpoint, in one container. */
export interface WebStatePublication {
  readonly container: number;
  readonly instance: string;
  readonly version: number;
  /** machineState: the endpoint is up ([MS-PRES] §3.8.5.1.2.1); userState: a manual choice. */
  readonly type: 'machineState' | 'userState';
  readonly availability: number;
  /** An activity token ([MS-PRES] §2.2.2.7.1), e.g. `in-a-meeting`. */
  readonly activity?: string;
  /** Empty data with `expires="0"` removes the instance ([MS-PRES] §3.2.5.1.4). */
  readonly remove?: boolean;
}

/** One note publication ([MS-PRES] §2.2.2.7.3), personal, in one container. */
export interface WebNotePublication {
  readonly container: number;
  readonly version: number;
  readonly text: string;
}

/**
 * A category publish ([MS-PRES] §2.2.2.2.1) of endpoint-bound state and note instances: bound to
 * the web endpoint (expireType endpoint), so they go when the web session ends (§3.2.5.1.2).
 */
export function buildWebPublish(uri: string, states: readonly WebStatePublication[], notes: readonly WebNotePublication[] = [], noteInstance = '0'): string {
  const statePubs = states.map((s) => {
    const activity = s.activity ? element('activity', [['token', s.activity]]) : '';
    const data = s.remove
      ? ''
      : element('state', [['xmlns', STATE_NS], ['xmlns:xsi', XSI_NS], ['manual', s.type === 'userState'], ['xsi:type', s.type]], `<availability>${s.availability}</availability>${activity}`);
    return element(
      'publication',
      [['categoryName', 'state'], ['instance', s.instance], ['container', s.container], ['version', s.version], ['expireType', 'endpoint'], ['expires', s.remove ? 0 : undefined]],
      data,
    );
  });
  const notePubs = notes.map((n) =>
    element(
      'publication',
      [['categoryName', 'note'], ['instance', noteInstance], ['container', n.container], ['version', n.version], ['expireType', 'endpoint'], ['expires', n.text === '' ? 0 : undefined]],
      n.text === '' ? '' : element('note', [['xmlns', NOTE_NS]], element('body', [['type', 'personal'], ['uri', '']], esc(n.text))),
    ),
  );
  return element('publish', [['xmlns', NS.richPresence]], element('publications', [['uri', uri]], [...statePubs, ...notePubs].join('')));
}

/**
 * Empty static instances of `categories` in one container ([MS-PRES] §2.2.2.2.1). Lync publishes
 * them into the blocked container (32000): only containers that hold a category take part in its
 * resolution (§3.2.5.3), so a member of 32000 sees nothing only once 32000 holds each category.
 */
export function buildEmptyPublish(uri: string, container: number, categories: readonly string[]): string {
  const pubs = categories.map((c) => element('publication', [['categoryName', c], ['instance', '0'], ['container', container], ['version', 0], ['expireType', 'static']])).join('');
  return element('publish', [['xmlns', NS.richPresence]], element('publications', [['uri', uri]], pubs));
}

/** A contact management primitive a web session sends ([MS-SIP] §2.2.4.2). */
export type WebContactOp =
  | { readonly op: 'setContact'; readonly deltaNum: number; readonly uri: string; readonly name: string; readonly groups: readonly number[] }
  | { readonly op: 'deleteContact'; readonly deltaNum: number; readonly uri: string }
  | { readonly op: 'addGroup'; readonly deltaNum: number; readonly name: string }
  | { readonly op: 'deleteGroup'; readonly deltaNum: number; readonly id: number };

/** The SOAP envelope of one contact management primitive ([MS-SIP] §2.2.4.2, as [MS-SIP] 4.8 writes them). */
export function buildContactSoap(o: WebContactOp): string {
  const f = (name: string, value: string | number) => `<m:${name}>${esc(String(value))}</m:${name}>`;
  let inner: string;
  switch (o.op) {
    case 'setContact':
      inner = f('displayName', o.name) + f('groups', o.groups.join(' ')) + f('subscribed', 'true') + f('URI', o.uri) + '<m:externalURI/>' + f('deltaNum', o.deltaNum);
      break;
    case 'deleteContact':
      inner = f('URI', o.uri) + f('deltaNum', o.deltaNum);
      break;
    case 'addGroup':
      inner = f('name', o.name) + '<m:externalURI/>' + f('deltaNum', o.deltaNum);
      break;
    case 'deleteGroup':
      inner = f('groupID', o.id) + f('deltaNum', o.deltaNum);
      break;
  }
  return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENV_NS}"><SOAP-ENV:Body><m:${o.op} xmlns:m="${CONTACT_SOAP_NS}">${inner}</m:${o.op}></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

/** Reads the group id out of the addGroup answer ([MS-SIP] 4.8). */
export function parseAddGroupResult(body: string): number | undefined {
  const m = /<(?:\w+:)?groupID>\s*(\d{1,10})\s*<\/(?:\w+:)?groupID>/.exec(body);
  return m ? Number(m[1]) : undefined;
}

/** A setContainerMembers body ([MS-PRES] §2.2.2.5) adding or removing members of one container. */
export function buildSetContainer(id: number, version: number, changes: readonly { readonly action: 'add' | 'remove'; readonly type: string; readonly value?: string }[]): string {
  const members = changes.map((c) => element('member', [['action', c.action], ['type', c.type], ['value', c.value]])).join('');
  return element('setContainerMembers', [['xmlns', NS.containerManagement]], element('container', [['id', id], ['version', version]], members));
}

/** One category of a notification, as the watcher was given it. */
export interface NotifiedCategory {
  readonly name: string;
  readonly instance?: string;
  readonly publishTime?: string;
  readonly data: string;
}

/** One `categories` document: whose, and what. */
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

/** Every `categories` document of a notification body (plain or multipart), in order. Unreadable parts are skipped. */
export function parseNotifiedCategories(contentType: string, body: string): NotifiedPresentity[] {
  const out: NotifiedPresentity[] = [];
  for (const part of splitMultipart(contentType, body)) {
    if (!/msrtc-event-categories/i.test(part.contentType) && !/^\s*<categories/.test(part.body)) continue;
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

/**
 * Reads the shown state (the aggregateState, [MS-PRES] §3.8.5.1.2.7), the note (a personal note
 * before an OOF one, §2.2.2.7.3) and the contact card's name out of a presentity's categories.
 * An emptied category (no data) leaves its field out: the watcher sees nothing of it.
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
      const parsed = parseXml(c.data);
      if (!parsed.ok) continue;
      const bodies = parsed.value.children.filter((b) => b.name === 'body');
      const chosen = bodies.find((b) => b.attrs.type === 'personal') ?? bodies[0];
      if (chosen && chosen.text.trim() !== '') r.note = chosen.text.trim();
    } else if (c.name === 'contactCard') {
      const parsed = parseXml(c.data);
      if (!parsed.ok) continue;
      const name = firstText(parsed.value, 'displayName');
      if (name) r.displayName = name;
    }
  }
  return r;
}
