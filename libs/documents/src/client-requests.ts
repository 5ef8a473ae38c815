import { CONTACT_SOAP_NS, SOAP_ENV_NS } from './contacts.js';
import { NS } from './namespaces.js';
import { STATE_NS, XSI_NS } from './state.js';
import { element, esc } from './xml.js';

/**
 * Request bodies a protocol gateway sends on behalf of its clients, as a Lync-family client would
 * write them: the XMPP edge turns `<presence>`, roster sets and sign-in into these, so the services
 * see the same documents whichever protocol a user signs in with ([DESIGN] one presence core).
 */

/** One endpoint-bound state publication: `machineState` or manual `userState` ([MS-PRES] §2.2.2.2.1, §2.2.2.7). */
export interface StatePublication {
  readonly type: 'machineState' | 'userState';
  readonly instance: number;
  readonly container: number;
  readonly version: number;
  readonly availability: number;
  /** An activity token shown with the availability ([MS-PRES] §2.2.2.7.1). */
  readonly activity?: string;
  /** Seconds; 0 removes the instance. */
  readonly expires?: number;
}

const BATCH_NS = 'http://schemas.microsoft.com/2006/01/sip/batch-subscribe';
const CATEGORY_LIST_NS = 'http://schemas.microsoft.com/2006/09/sip/categorylist';
const NOTE_NS = 'http://schemas.microsoft.com/2006/09/sip/note';

function stateData(p: StatePublication): string {
  const activity = p.activity ? element('activity', [['token', p.activity]]) : '';
  return `<state xmlns="${STATE_NS}" xmlns:xsi="${XSI_NS}" manual="${p.type === 'userState'}" xsi:type="${p.type}"><availability>${p.availability}</availability>${activity}</state>`;
}

/**
 * A `publish` document ([MS-PRES] §2.2.2.2.1) of endpoint-bound states and, when `note` is given,
 * one personal note per container (`''` publishes an empty note: the note is cleared).
 */
export function buildClientPublish(uri: string, states: readonly StatePublication[], note?: { readonly instance: number; readonly containers: readonly { id: number; version: number }[]; readonly text: string }): string {
  const pubs = states.map((p) =>
    element(
      'publication',
      [
        ['categoryName', 'state'],
        ['instance', p.instance],
        ['container', p.container],
        ['version', p.version],
        ['expireType', 'endpoint'],
        ['expires', p.expires],
      ],
      p.expires === 0 ? '' : stateData(p),
    ),
  );
  for (const c of note?.containers ?? []) {
    pubs.push(
      element(
        'publication',
        [
          ['categoryName', 'note'],
          ['instance', note!.instance],
          ['container', c.id],
          ['version', c.version],
          ['expireType', 'endpoint'],
        ],
        `<note xmlns="${NOTE_NS}"><body type="personal" uri="">${esc(note!.text)}</body></note>`,
      ),
    );
  }
  return element('publish', [['xmlns', NS.richPresence]], element('publications', [['uri', uri]], pubs.join('')));
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

/** Adds (or removes) members of one container ([MS-PRES] §2.2.2.5). */
export function buildSetContainerMember(container: number, version: number, action: 'add' | 'remove', type: 'user' | 'sameEnterprise', value?: string): string {
  return element(
    'setContainerMembers',
    [['xmlns', NS.containerManagement]],
    element('container', [['id', container], ['version', version]], element('member', [['action', action], ['type', type], ['value', value]])),
  );
}

const soap = (inner: string) => `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENV_NS}"><SOAP-ENV:Body>${inner}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;

/** [MS-SIP] §2.2.4.2 setContact: adds or changes one contact of the list. */
export function buildSetContact(c: { uri: string; name: string; groups: readonly number[]; subscribed: boolean }, deltaNum: number): string {
  return soap(
    `<m:setContact xmlns:m="${CONTACT_SOAP_NS}"><m:displayName>${esc(c.name)}</m:displayName><m:groups>${c.groups.join(' ')}</m:groups><m:subscribed>${c.subscribed}</m:subscribed><m:URI>${esc(c.uri)}</m:URI><m:externalURI/><m:deltaNum>${deltaNum}</m:deltaNum></m:setContact>`,
  );
}

/** [MS-SIP] §2.2.4.2 deleteContact. */
export function buildDeleteContact(uri: string, deltaNum: number): string {
  return soap(`<m:deleteContact xmlns:m="${CONTACT_SOAP_NS}"><m:URI>${esc(uri)}</m:URI><m:deltaNum>${deltaNum}</m:deltaNum></m:deleteContact>`);
}
