import { DocumentError, type DocResult } from './errors.js';
import { element, esc, parseXml, type XmlNode } from './xml.js';

/** Namespaces of the standard presence documents (RFC 3863, RFC 4480, RFC 4482, RFC 3858). */
export const PIDF_NS = {
  pidf: 'urn:ietf:params:xml:ns:pidf',
  /** The RPID namespace of [MS-PRES] §4.10 (`ep:`): the server's documents use it. */
  rpidStatus: 'urn:ietf:params:xml:ns:pidf:status:rpid-status',
  rpidTuple: 'urn:ietf:params:xml:ns:pidf:rpid-tuple',
  cipid: 'urn:ietf:params:xml:ns:pidf:cipid',
  /** RFC 4480's own namespace, which stock clients publish in. */
  rpid: 'urn:ietf:params:xml:ns:pidf:rpid',
  dataModel: 'urn:ietf:params:xml:ns:pidf:data-model',
  msrtc: 'http://schemas.microsoft.com/2002/09/sip/presence',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  watcherinfo: 'urn:ietf:params:xml:ns:watcherinfo',
} as const;

export const PIDF_CONTENT_TYPE = {
  pidf: 'application/pidf+xml',
  msrtc: 'text/xml+msrtc.pidf',
  xpidf: 'application/xpidf+xml',
  watcherinfo: 'application/watcherinfo+xml',
} as const;

/** What a PIDF document says: [MS-PRES] §2.2.2.8 (one tuple, RPID activity, CIPID display-name). */
export interface PidfView {
  readonly entity: string;
  readonly basic: 'open' | 'closed';
  /** RPID activity tokens (`away`, `busy`, `on-the-phone`, …). */
  readonly activities: readonly string[];
  readonly note?: string;
  readonly displayName?: string;
}

/** The PIDF document of [MS-PRES] §2.2.2.8 / §4.10: one tuple with basic status and RPID activities. */
export function buildPidf(v: PidfView): string {
  const activities = v.activities.length === 0 ? '' : `<ep:activities>${v.activities.map((a) => `<ep:activity>${esc(a)}</ep:activity>`).join('')}</ep:activities>`;
  const status = `<status><basic>${v.basic}</basic>${activities}</status>`;
  const tuple = element('tuple', [['id', '0']], status);
  const note = v.note ? `<note>${esc(v.note)}</note>` : '';
  const name = v.displayName ? `<ci:display-name>${esc(v.displayName)}</ci:display-name>` : '';
  return (
    '<?xml version="1.0" encoding="utf-8"?>\r\n' +
    element(
      'presence',
      [
        ['xmlns', PIDF_NS.pidf],
        ['xmlns:ep', PIDF_NS.rpidStatus],
        ['xmlns:et', PIDF_NS.rpidTuple],
        ['xmlns:ci', PIDF_NS.cipid],
        ['entity', v.entity],
      ],
      tuple + note + name,
    )
  );
}

const descendants = (n: XmlNode, name: string, ns?: readonly string[]): XmlNode[] =>
  n.children.flatMap((c) => [...(c.name === name && (!ns || ns.includes(c.ns ?? '')) ? [c] : []), ...descendants(c, name, ns)]);

const RPID_NAMESPACES = [PIDF_NS.rpid, PIDF_NS.rpidStatus];

/**
 * Reads a published PIDF document (RFC 3863 §4, RPID RFC 4480 §3.2): `open` if any tuple's basic
 * status is open, the RPID activities anywhere in it (in a tuple's status or a `person` element),
 * and the first note. RPID activities are empty elements (`<rpid:away/>`); the [MS-PRES] §4.10 form
 * (`<ep:activity>away</ep:activity>`) is read as well.
 */
export function parsePidf(body: string): DocResult<PidfView> {
  const parsed = parseXml(body);
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  if (root.name !== 'presence' || root.ns !== PIDF_NS.pidf) {
    return { ok: false, error: new DocumentError('DOC_ERR_ROOT', `expected <presence xmlns="${PIDF_NS.pidf}">, got <${root.name}> in ${root.ns ?? 'no namespace'}`) };
  }
  const entity = root.attrs.entity;
  if (!entity) return { ok: false, error: new DocumentError('DOC_ERR_SCHEMA', 'presence without entity (RFC 3863 §4.1.1)') };
  const basics = descendants(root, 'basic', [PIDF_NS.pidf]).map((b) => b.text.trim());
  if (basics.some((b) => b !== 'open' && b !== 'closed')) return { ok: false, error: new DocumentError('DOC_ERR_SCHEMA', 'basic must be open or closed (RFC 3863 §4.1.4)') };
  const activities = descendants(root, 'activities', RPID_NAMESPACES).flatMap((a) =>
    a.children.flatMap((c) => (c.name === 'activity' ? (c.text.trim() ? [c.text.trim()] : []) : c.name === 'other' ? [] : [c.name])),
  );
  const note = descendants(root, 'note').find((n) => n.text.trim() !== '')?.text.trim();
  return { ok: true, value: { entity, basic: basics.includes('open') ? 'open' : 'closed', activities: [...new Set(activities)], ...(note ? { note } : {}) } };
}

/** What an MSRTC document carries ([MS-PRES] §2.2.2.9, §3.7.5.5). */
export interface MsrtcView {
  /** The presentity's address without scheme, as in §4.11 (`bob@contoso.com`). */
  readonly uri: string;
  readonly availabilityAggregate: number;
  readonly activityAggregate: number;
  readonly avail: number;
  /** The state element's text: the legacyInterop token, or the state's name. */
  readonly state: string;
  readonly displayName?: string;
  readonly email?: string;
  readonly phoneNumber?: string;
}

/** The `presentity` document of [MS-PRES] §2.2.2.9 and §4.11. */
export function buildMsrtcPidf(v: MsrtcView): string {
  const inner =
    element('availability', [['aggregate', v.availabilityAggregate]]) +
    element('activity', [['aggregate', v.activityAggregate]]) +
    (v.displayName !== undefined ? element('displayName', [['displayName', v.displayName]]) : '') +
    (v.email !== undefined ? element('email', [['email', v.email]]) : '') +
    (v.phoneNumber !== undefined ? element('phoneNumber', [['number', v.phoneNumber]]) : '') +
    `<aggregate><states>${element('state', [['avail', v.avail], ['xsi:type', 'userState']], esc(v.state))}</states></aggregate>`;
  return element('presentity', [['uri', v.uri], ['xmlns', PIDF_NS.msrtc], ['xmlns:xsi', PIDF_NS.xsi]], inner);
}

/** One watcher of a watcher-info document (RFC 3858 §5). */
export interface WinfoWatcher {
  readonly id: string;
  readonly uri: string;
  readonly status: 'active' | 'pending' | 'waiting' | 'terminated';
  readonly event: 'subscribe' | 'approved' | 'deactivated' | 'probation' | 'rejected' | 'timeout' | 'giveup' | 'noresource';
  readonly displayName?: string;
}

/** A full `watcherinfo` document (RFC 3858 §5) with one watcher-list for `resource`'s presence. */
export function buildWatcherInfo(resource: string, version: number, watchers: readonly WinfoWatcher[]): string {
  const list = watchers
    .map((w) => element('watcher', [['id', w.id], ['status', w.status], ['event', w.event], ['display-name', w.displayName]], esc(w.uri)))
    .join('');
  return (
    '<?xml version="1.0"?>\r\n' +
    element('watcherinfo', [['xmlns', PIDF_NS.watcherinfo], ['version', version], ['state', 'full']], `<watcher-list resource="${esc(resource)}" package="presence">${list}</watcher-list>`)
  );
}
