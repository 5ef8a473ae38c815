import { CONTACT_SOAP_NS, SOAP_ENV_NS } from './contacts.js';
import { NS } from './namespaces.js';
import { STATE_NS, XSI_NS } from './state.js';
import { element, esc } from './xml.js';

/**
 * Request bodies a protocol gateway (the web service, the XMPP edge) sends on behalf of its
 * clients, written as a Lync-family client writes them, so the services see the same documents
 * whichever protocol a user signs in with ([DESIGN] one presence core, many protocol edges).
 */

const BATCH_NS = 'http://schemas.microsoft.com/2006/01/sip/batch-subscribe';
const CATEGORY_LIST_NS = 'http://schemas.microsoft.com/2006/09/sip/categorylist';
const NOTE_NS = 'http://schemas.microsoft.com/2006/09/sip/note';

/** One endpoint-bound state publication in one container ([MS-PRES] §2.2.2.2.1, §2.2.2.7). */
export interface StatePublication {
  /** machineState: the endpoint is up ([MS-PRES] §3.8.5.1.2.1); userState: a manual choice. */
  readonly type: 'machineState' | 'userState';
  readonly instance: string | number;
  readonly container: number;
  readonly version: number;
  readonly availability: number;
  /** An activity token shown with the availability ([MS-PRES] §2.2.2.7.1), e.g. `in-a-meeting`. */
  readonly activity?: string;
  /** Seconds; 0 removes the instance (empty data, [MS-PRES] §3.2.5.1.4). */
  readonly expires?: number;
}

/** One personal note publication ([MS-PRES] §2.2.2.7.3) in one container. */
export interface NotePublication {
  readonly container: number;
  readonly version: number;
  readonly text: string;
  /** Removes the instance (`expires="0"`, empty data) instead of publishing `text`. */
  readonly remove?: boolean;
}

function stateData(p: StatePublication): string {
  const activity = p.activity ? element('activity', [['token', p.activity]]) : '';
  return element('state', [['xmlns', STATE_NS], ['xmlns:xsi', XSI_NS], ['manual', p.type === 'userState'], ['xsi:type', p.type]], `<availability>${p.availability}</availability>${activity}`);
}

const publishDoc = (uri: string, pubs: readonly string[]) => element('publish', [['xmlns', NS.richPresence]], element('publications', [['uri', uri]], pubs.join('')));

/**
 * A category publish ([MS-PRES] §2.2.2.2.1) of endpoint-bound state and note instances: bound to
 * the gateway's endpoint (expireType endpoint), so they go when the session ends (§3.2.5.1.2).
 * All notes share `noteInstance`, one publication per container.
 */
export function buildClientPublish(uri: string, states: readonly StatePublication[], notes: readonly NotePublication[] = [], noteInstance: string | number = '0'): string {
  const statePubs = states.map((s) =>
    element(
      'publication',
      [['categoryName', 'state'], ['instance', s.instance], ['container', s.container], ['version', s.version], ['expireType', 'endpoint'], ['expires', s.expires]],
      s.expires === 0 ? '' : stateData(s),
    ),
  );
  const notePubs = notes.map((n) =>
    element(
      'publication',
      [['categoryName', 'note'], ['instance', noteInstance], ['container', n.container], ['version', n.version], ['expireType', 'endpoint'], ['expires', n.remove ? 0 : undefined]],
      n.remove ? '' : element('note', [['xmlns', NOTE_NS]], element('body', [['type', 'personal'], ['uri', '']], esc(n.text))),
    ),
  );
  return publishDoc(uri, [...statePubs, ...notePubs]);
}

/**
 * Empty static instances of `categories` in one container ([MS-PRES] §2.2.2.2.1). Lync publishes
 * them into the blocked container (32000): only containers that hold a category take part in its
 * resolution (§3.2.5.3), so a member of 32000 sees nothing only once 32000 holds each category.
 */
export function buildEmptyPublish(uri: string, container: number, categories: readonly string[]): string {
  return publishDoc(
    uri,
    categories.map((c) => element('publication', [['categoryName', c], ['instance', '0'], ['container', container], ['version', 0], ['expireType', 'static']])),
  );
}

/** A batch category subscription body ([MS-PRES] §2.2.2.4.1, example §4.5) for `resources`. */
export function buildBatchSubscribe(subscriber: string, action: 'subscribe' | 'unsubscribe', resources: readonly string[], categories: readonly string[]): string {
  const list = resources.map((r) => element('resource', [['uri', r]])).join('');
  const cats = categories.map((c) => element('category', [['name', c]])).join('');
  return element(
    'batchSub',
    [
      ['xmlns', BATCH_NS],
      ['uri', subscriber],
      ['name', ''],
    ],
    element('action', [['name', action], ['id', 1]], `<adhocList>${list}</adhocList>` + element('categoryList', [['xmlns', CATEGORY_LIST_NS]], cats)),
  );
}

/** One member change of a container ([MS-PRES] §2.2.2.5). */
export interface ContainerMemberChange {
  readonly action: 'add' | 'remove';
  readonly type: string;
  readonly value?: string;
}

/** A setContainerMembers body ([MS-PRES] §2.2.2.5) adding or removing members of one container. */
export function buildSetContainer(id: number, version: number, changes: readonly ContainerMemberChange[]): string {
  const members = changes.map((c) => element('member', [['action', c.action], ['type', c.type], ['value', c.value]])).join('');
  return element('setContainerMembers', [['xmlns', NS.containerManagement]], element('container', [['id', id], ['version', version]], members));
}

/** A contact management primitive a gateway sends for its user ([MS-SIP] §2.2.4.2). */
export type ClientContactOp =
  | {
      readonly op: 'setContact';
      readonly deltaNum: number;
      readonly uri: string;
      readonly name: string;
      readonly groups: readonly number[];
      /** Whether the user watches the contact's presence; default true (false: XMPP `unsubscribe`, RFC 6121 §3.3). */
      readonly subscribed?: boolean;
    }
  | { readonly op: 'deleteContact'; readonly deltaNum: number; readonly uri: string }
  | { readonly op: 'addGroup'; readonly deltaNum: number; readonly name: string }
  | { readonly op: 'deleteGroup'; readonly deltaNum: number; readonly id: number };

/**
 * The SOAP envelope of one contact management primitive ([MS-SIP] §2.2.4.2, as [MS-SIP] 4.8 writes
 * them).
 */
export function buildContactSoap(o: ClientContactOp): string {
  const f = (name: string, value: string | number) => `<m:${name}>${esc(String(value))}</m:${name}>`;
  let inner: string;
  switch (o.op) {
    case 'setContact':
      inner = f('displayName', o.name) + f('groups', o.groups.join(' ')) + f('subscribed', String(o.subscribed ?? true)) + f('URI', o.uri) + '<m:externalURI/>' + f('deltaNum', o.deltaNum);
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
