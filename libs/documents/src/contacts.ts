import { docOk, schemaError, type DocResult } from './errors.js';
import { element, esc, expectRoot, isUnsignedInt, parseXml, type XmlNode } from './xml.js';

/** The SOAP envelope of contact management requests ([MS-SIP] §2.2.4.2, example 4.8). */
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
/** The namespace of the contact management primitives ([MS-SIP] §2.2.4.2). */
export const CONTACT_SOAP_NS = 'http://schemas.microsoft.com/winrtc/2002/11/sip';

/** A group of the user's contact list ([MS-SIP] §2.2.4.1). */
export interface ContactGroup {
  readonly id: number;
  readonly name: string;
  readonly externalURI: string;
}

/** A contact of the user's contact list ([MS-SIP] §2.2.4.1); `extension` is the verbatim contactExtension XML. */
export interface Contact {
  readonly uri: string;
  readonly name: string;
  readonly groups: readonly number[];
  readonly subscribed: boolean;
  readonly externalURI: string;
  readonly extension?: string;
}

/** Where the contact list lives ([MS-PRES] Appendix E, contactUcsMode); this server keeps it: `disabled`. */
export type UcsMode = 'disabled' | 'allowed' | 'migrating' | 'migrated';

export interface ContactList {
  readonly deltaNum: number;
  readonly groups: readonly ContactGroup[];
  readonly contacts: readonly Contact[];
}

/** What one SERVICE changed, in the order a delta list names it ([MS-SIP] §3.7). */
export interface ContactDelta {
  readonly deltaNum: number;
  readonly prevDeltaNum: number;
  readonly addedGroups: readonly ContactGroup[];
  readonly modifiedGroups: readonly ContactGroup[];
  readonly addedContacts: readonly Contact[];
  readonly modifiedContacts: readonly Contact[];
  readonly deletedGroups: readonly number[];
  readonly deletedContacts: readonly string[];
}

/** One contact management primitive of a SERVICE request ([MS-SIP] §2.2.4.2). */
export type ContactOp =
  | { readonly op: 'setContact'; readonly deltaNum: number; readonly contact: Contact }
  | { readonly op: 'deleteContact'; readonly deltaNum: number; readonly uri: string }
  | { readonly op: 'addGroup'; readonly deltaNum: number; readonly name: string; readonly externalURI: string }
  | { readonly op: 'modifyGroup'; readonly deltaNum: number; readonly id: number; readonly name: string; readonly externalURI: string }
  | { readonly op: 'deleteGroup'; readonly deltaNum: number; readonly id: number };

const groupAttrs = (g: ContactGroup) => [['id', g.id], ['name', g.name], ['externalURI', g.externalURI]] as const;
const contactElement = (tag: string, c: Contact, uri: string) =>
  element(tag, [['uri', uri], ['name', c.name], ['groups', c.groups.join(' ')], ['subscribed', c.subscribed], ['externalURI', c.externalURI]], c.extension ? `<contactExtension>${c.extension}</contactExtension>` : '');

/**
 * Contact URIs are written as Lync Server writes them, which is how Lync-family clients read them:
 * without the `sip:` scheme in the full list ([MS-PRES] 4.14; pidgin-sipe puts `sip:` in front of
 * every full-list URI), with it in deltas (clients take a delta's URI as the buddy's URI as it is).
 */
const withoutScheme = (uri: string) => uri.replace(/^sip:/i, '');
const withScheme = (uri: string) => (/^[a-z][a-z0-9+.-]*:/i.test(uri) ? uri : `sip:${uri}`);

/** The full list ([MS-SIP] §2.2.4.1 contactList; [MS-PRES] 4.14.1): groups, then contacts. */
export function buildContactList(list: ContactList, ucsMode: UcsMode = 'disabled'): string {
  const inner = list.groups.map((g) => element('group', groupAttrs(g))).join('') + list.contacts.map((c) => contactElement('contact', c, withoutScheme(c.uri))).join('');
  return `<contactList deltaNum="${list.deltaNum}" ucsMode="${ucsMode}">${inner}</contactList>`;
}

/**
 * A delta list ([MS-SIP] §3.7: added/modified groups, added/modified contacts, deleted groups,
 * deleted contacts; [MS-PRES] Appendix E adds prevDeltaNum and ucsMode).
 */
export function buildContactDelta(d: ContactDelta, ucsMode: UcsMode = 'disabled'): string {
  const inner = [
    ...d.addedGroups.map((g) => element('addedGroup', groupAttrs(g))),
    ...d.modifiedGroups.map((g) => element('modifiedGroup', groupAttrs(g))),
    ...d.addedContacts.map((c) => contactElement('addedContact', c, withScheme(c.uri))),
    ...d.modifiedContacts.map((c) => contactElement('modifiedContact', c, withScheme(c.uri))),
    ...d.deletedGroups.map((id) => element('deletedGroup', [['id', id]])),
    ...d.deletedContacts.map((uri) => element('deletedContact', [['uri', withScheme(uri)]])),
  ].join('');
  return `<contactDelta deltaNum="${d.deltaNum}" prevDeltaNum="${d.prevDeltaNum}" ucsMode="${ucsMode}">${inner}</contactDelta>`;
}

/** The body of the 200 OK to addGroup: the id the server gave the new group ([MS-SIP] 4.8). */
export function buildAddGroupResult(groupId: number): string {
  return `<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP_ENV_NS}"><SOAP-ENV:Body><m:addGroup xmlns:m="${CONTACT_SOAP_NS}"><m:groupID>${esc(String(groupId))}</m:groupID></m:addGroup></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

/** Parses a contact management SERVICE body ([MS-SIP] §2.2.4.2): one primitive in a SOAP envelope. */
export function parseContactOp(body: string): DocResult<ContactOp> {
  // contactExtension is any XML, kept verbatim; the parser matches stop nodes by their written name.
  const parsed = parseXml(body, ['contactExtension', 'm:contactExtension']);
  if (!parsed.ok) return parsed;
  const env = expectRoot(parsed.value, 'Envelope', SOAP_ENV_NS);
  if (!env.ok) return env;
  const soapBody = env.value.children.find((c) => c.name === 'Body' && c.ns === SOAP_ENV_NS);
  const prims = soapBody?.children.filter((c) => c.ns === CONTACT_SOAP_NS) ?? [];
  if (prims.length !== 1) return schemaError('the SOAP Body must hold exactly one contact management primitive');
  const p = prims[0]!;
  // Element names are matched without regard to case: clients write both `URI` and `uri`.
  const field = (name: string): XmlNode | undefined => p.children.find((c) => c.name.toLowerCase() === name.toLowerCase());
  const text = (name: string) => field(name)?.text ?? '';
  const delta = text('deltaNum');
  if (!isUnsignedInt(delta)) return schemaError(`${p.name}: deltaNum must be a non-negative integer`);
  const deltaNum = Number(delta);
  const groupId = (): DocResult<number> => {
    const id = text('groupID');
    return isUnsignedInt(id) ? docOk(Number(id)) : schemaError(`${p.name}: groupID must be a non-negative integer`);
  };
  switch (p.name) {
    case 'setContact': {
      const uri = text('uri');
      if (uri === '') return schemaError('setContact: uri is required');
      const groups = text('groups').split(/\s+/).filter((g) => g !== '');
      if (!groups.every(isUnsignedInt)) return schemaError('setContact: groups must be space-separated group ids');
      const subscribed = text('subscribed');
      if (!['true', 'false', '1', '0', ''].includes(subscribed)) return schemaError('setContact: subscribed must be a boolean');
      const ext = field('contactExtension')?.raw?.trim();
      const contact: Contact = {
        uri,
        name: text('displayName'),
        groups: [...new Set(groups.map(Number))],
        subscribed: subscribed === 'true' || subscribed === '1',
        externalURI: text('externalURI'),
        ...(ext ? { extension: ext } : {}),
      };
      return docOk({ op: 'setContact', deltaNum, contact });
    }
    case 'deleteContact': {
      const uri = text('uri');
      return uri === '' ? schemaError('deleteContact: uri is required') : docOk({ op: 'deleteContact', deltaNum, uri });
    }
    case 'addGroup': {
      const name = text('name');
      return name === '' ? schemaError('addGroup: name is required') : docOk({ op: 'addGroup', deltaNum, name, externalURI: text('externalURI') });
    }
    case 'modifyGroup': {
      const id = groupId();
      if (!id.ok) return id;
      const name = text('name');
      return name === '' ? schemaError('modifyGroup: name is required') : docOk({ op: 'modifyGroup', deltaNum, id: id.value, name, externalURI: text('externalURI') });
    }
    case 'deleteGroup': {
      const id = groupId();
      return id.ok ? docOk({ op: 'deleteGroup', deltaNum, id: id.value }) : id;
    }
    default:
      return schemaError(`unknown contact management primitive ${p.name}`);
  }
}
