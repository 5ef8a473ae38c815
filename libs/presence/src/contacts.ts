import type { Contact, ContactDelta, ContactGroup, ContactList, ContactOp } from '@presence/documents';

/**
 * The default group ([MS-SIP] §3.7.4.4): group 1, created by the server, never created or deleted by
 * the user; contacts named in no group belong to it. Lync shows it as `~` ([MS-PRES] 4.14.1).
 */
export const DEFAULT_GROUP: ContactGroup = { id: 1, name: '~', externalURI: '' };
/** Group ids are 1-63 ([MS-SIP] §3.7.4.4); the schema allows at most 64 groups. */
export const MAX_GROUP_ID = 63;
/** Lync's default maximum number of contacts per user. */
export const DEFAULT_MAX_CONTACTS = 250;

export const emptyContactList = (): ContactList => ({ deltaNum: 0, groups: [DEFAULT_GROUP], contacts: [] });

/** Why a contact management request is refused; the list is unchanged. */
export type ContactRefusal =
  | { readonly kind: 'wrongDelta'; readonly current: number }
  | { readonly kind: 'unknownGroup'; readonly id: number }
  | { readonly kind: 'defaultGroup' }
  | { readonly kind: 'groupNotEmpty'; readonly id: number }
  | { readonly kind: 'duplicateGroup'; readonly name: string }
  | { readonly kind: 'tooManyGroups' }
  | { readonly kind: 'tooManyContacts'; readonly max: number }
  | { readonly kind: 'unknownContact'; readonly uri: string }
  | { readonly kind: 'badUri'; readonly uri: string };

export type ContactOutcome =
  | { readonly ok: true; readonly list: ContactList; readonly delta: ContactDelta; readonly groupId?: number }
  | { readonly ok: false; readonly refusal: ContactRefusal };

export interface ContactLimits {
  readonly maxContacts: number;
}

/**
 * Contact URIs are kept with the `sip:` scheme, as clients send them in setContact; a scheme-less
 * `user@host` is the same contact. (How each document writes them is the documents' business: see
 * buildContactList and buildContactDelta.)
 */
export function normalizeContactUri(uri: string): string | undefined {
  const bare = uri.trim().replace(/^sip:/i, '');
  return /^[^@\s<>":]+@[^@\s<>"]+$/.test(bare) ? `sip:${bare.toLowerCase()}` : undefined;
}

/** Whether two contact URIs name the same contact, lists written before the scheme was kept included. */
function sameContact(a: string, b: string): boolean {
  return a.replace(/^sip:/i, '').toLowerCase() === b.replace(/^sip:/i, '').toLowerCase();
}

const refuse = (refusal: ContactRefusal): ContactOutcome => ({ ok: false, refusal });

/**
 * Applies one contact management primitive ([MS-SIP] §3.7.4.3, §3.7.4.4) to a user's list. The
 * request names the deltaNum it last saw; any other value is refused, so two endpoints editing at
 * once cannot overwrite each other. A change raises deltaNum by one, and the delta names the
 * previous number ([MS-PRES] Appendix E).
 */
export function applyContactOp(list: ContactList, op: ContactOp, limits: ContactLimits): ContactOutcome {
  if (op.deltaNum !== list.deltaNum) return refuse({ kind: 'wrongDelta', current: list.deltaNum });
  const deltaNum = list.deltaNum + 1;
  const delta = (d: Partial<ContactDelta>): ContactDelta => ({
    deltaNum,
    prevDeltaNum: list.deltaNum,
    addedGroups: [],
    modifiedGroups: [],
    addedContacts: [],
    modifiedContacts: [],
    deletedGroups: [],
    deletedContacts: [],
    ...d,
  });
  const hasGroup = (id: number) => list.groups.some((g) => g.id === id);
  switch (op.op) {
    case 'setContact': {
      const uri = normalizeContactUri(op.contact.uri);
      if (!uri) return refuse({ kind: 'badUri', uri: op.contact.uri });
      const missing = op.contact.groups.find((g) => !hasGroup(g));
      if (missing !== undefined) return refuse({ kind: 'unknownGroup', id: missing });
      // Every contact is in at least one group ([MS-SIP] §3.7): none named means the default group.
      const contact: Contact = { ...op.contact, uri, groups: op.contact.groups.length > 0 ? op.contact.groups : [DEFAULT_GROUP.id] };
      const existing = list.contacts.findIndex((c) => sameContact(c.uri, uri));
      if (existing >= 0) {
        const contacts = list.contacts.map((c, i) => (i === existing ? contact : c));
        return { ok: true, list: { ...list, deltaNum, contacts }, delta: delta({ modifiedContacts: [contact] }) };
      }
      if (list.contacts.length >= limits.maxContacts) return refuse({ kind: 'tooManyContacts', max: limits.maxContacts });
      return { ok: true, list: { ...list, deltaNum, contacts: [...list.contacts, contact] }, delta: delta({ addedContacts: [contact] }) };
    }
    case 'deleteContact': {
      const uri = normalizeContactUri(op.uri) ?? op.uri;
      if (!list.contacts.some((c) => sameContact(c.uri, uri))) return refuse({ kind: 'unknownContact', uri: op.uri });
      return { ok: true, list: { ...list, deltaNum, contacts: list.contacts.filter((c) => !sameContact(c.uri, uri)) }, delta: delta({ deletedContacts: [uri] }) };
    }
    case 'addGroup': {
      if (list.groups.some((g) => g.name === op.name)) return refuse({ kind: 'duplicateGroup', name: op.name });
      let id = DEFAULT_GROUP.id + 1;
      while (hasGroup(id)) id++;
      if (id > MAX_GROUP_ID) return refuse({ kind: 'tooManyGroups' });
      const group: ContactGroup = { id, name: op.name, externalURI: op.externalURI };
      return { ok: true, list: { ...list, deltaNum, groups: [...list.groups, group] }, delta: delta({ addedGroups: [group] }), groupId: id };
    }
    case 'modifyGroup': {
      // The default group may be renamed: [MS-SIP] §3.7.4.4 only forbids creating or deleting it.
      if (!hasGroup(op.id)) return refuse({ kind: 'unknownGroup', id: op.id });
      if (list.groups.some((g) => g.name === op.name && g.id !== op.id)) return refuse({ kind: 'duplicateGroup', name: op.name });
      const group: ContactGroup = { id: op.id, name: op.name, externalURI: op.externalURI };
      return { ok: true, list: { ...list, deltaNum, groups: list.groups.map((g) => (g.id === op.id ? group : g)) }, delta: delta({ modifiedGroups: [group] }) };
    }
    case 'deleteGroup': {
      if (op.id === DEFAULT_GROUP.id) return refuse({ kind: 'defaultGroup' });
      if (!hasGroup(op.id)) return refuse({ kind: 'unknownGroup', id: op.id });
      // [MS-SIP] §3.7.4.4: a group is emptied (DeleteContact) before it is deleted.
      if (list.contacts.some((c) => c.groups.includes(op.id))) return refuse({ kind: 'groupNotEmpty', id: op.id });
      return { ok: true, list: { ...list, deltaNum, groups: list.groups.filter((g) => g.id !== op.id) }, delta: delta({ deletedGroups: [op.id] }) };
    }
  }
}

/** A list as an operator gives it: groups by name, contacts naming their groups. */
export interface ContactListSeed {
  readonly groups: readonly { readonly name: string; readonly externalURI?: string }[];
  readonly contacts: readonly { readonly uri: string; readonly name?: string; readonly groups?: readonly string[]; readonly subscribed?: boolean; readonly externalURI?: string }[];
}

/**
 * Builds the list that replaces a user's list from a seed: the default group first, the named groups
 * numbered from 2, contacts in the groups they name (the default group when none), deltaNum one past
 * the previous list's so clients holding the old one see the change. A string names what is wrong.
 */
export function contactListFromSeed(previousDeltaNum: number, seed: ContactListSeed, limits: ContactLimits): ContactList | string {
  const groups: ContactGroup[] = [DEFAULT_GROUP];
  for (const g of seed.groups) {
    if (!g.name || g.name === DEFAULT_GROUP.name) continue;
    if (groups.some((x) => x.name === g.name)) return `group ${g.name} is named twice`;
    if (groups.length >= MAX_GROUP_ID) return `at most ${MAX_GROUP_ID - 1} groups besides the default one`;
    groups.push({ id: groups.length + 1, name: g.name, externalURI: g.externalURI ?? '' });
  }
  if (seed.contacts.length > limits.maxContacts) return `at most ${limits.maxContacts} contacts`;
  const contacts: Contact[] = [];
  for (const c of seed.contacts) {
    const uri = normalizeContactUri(c.uri);
    if (!uri) return `contact ${c.uri} is not a user@host address`;
    if (contacts.some((x) => x.uri === uri)) return `contact ${uri} is listed twice`;
    const ids: number[] = [];
    for (const name of c.groups ?? []) {
      const g = name === DEFAULT_GROUP.name ? DEFAULT_GROUP : groups.find((x) => x.name === name);
      if (!g) return `contact ${uri} names unknown group ${name}`;
      ids.push(g.id);
    }
    contacts.push({ uri, name: c.name ?? '', groups: ids.length > 0 ? [...new Set(ids)] : [DEFAULT_GROUP.id], subscribed: c.subscribed ?? true, externalURI: c.externalURI ?? '' });
  }
  return { deltaNum: previousDeltaNum + 1, groups, contacts };
}
