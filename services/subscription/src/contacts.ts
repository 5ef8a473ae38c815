import type { SetContactListReply, SetContactListRequest, SipReply, SipRequestCommand } from '@presence/bus';
import { buildAddGroupResult, buildContactDelta, buildContactList, CONTENT_TYPE, parseContactOp, type ContactList } from '@presence/documents';
import { applyContactOp, contactListFromSeed, emptyContactList, normalizeContactUri, sameAor, type ContactRefusal } from '@presence/presence';
import { aorOf, reply } from '@presence/runtime';
import { contactLists, dialogs, getRecord, listRecords, put, type Partition } from '@presence/state';
import { notify } from './notifier.js';
import type { OwnPackage, OwnSubscriptionDeps } from './own-subscription.js';

export const ROAMING_CONTACTS = 'vnd-microsoft-roaming-contacts';

export class ContactListError extends Error {
  readonly code = 'PRES_ERR_CONTACT_LIST';
}

/** The user's list; lists stored before contact URIs kept their scheme come back with it. */
async function readList(d: OwnSubscriptionDeps, p: Partition): Promise<{ list: ContactList; version: number }> {
  const rec = await getRecord(d.store, p, contactLists, 'list');
  if (!rec) return { list: emptyContactList(), version: 0 };
  const contacts = rec.value.contacts.map((c) => ({ ...c, uri: normalizeContactUri(c.uri) ?? c.uri }));
  return { list: { ...rec.value, contacts }, version: rec.version };
}

/** Roaming contacts ([MS-SIP] §3.7.4.1): the dialog gets the full list, then a delta per change. */
export const roamingContacts: OwnPackage = {
  event: ROAMING_CONTACTS,
  contentType: CONTENT_TYPE.roamingContacts,
  document: async (d, p) => buildContactList((await readList(d, p)).list),
  onePerEndpoint: true,
};

/** SIP answers to refused contact management requests (a choice of this server; see README). */
function refusalReply(r: ContactRefusal): SipReply {
  switch (r.kind) {
    case 'wrongDelta':
      return reply(409, 'Contact List Changed, Resubscribe', [{ name: 'ms-diagnostics', value: `2141;reason="deltaNum is out of date; current is ${r.current}"` }]);
    case 'unknownGroup':
      return reply(404, `Unknown Group ${r.id}`);
    case 'unknownContact':
      return reply(404, 'Unknown Contact');
    case 'defaultGroup':
      return reply(403, 'The Default Group Cannot Be Deleted');
    case 'groupNotEmpty':
      return reply(409, 'Group Not Empty');
    case 'duplicateGroup':
      return reply(409, 'Group Name Exists');
    case 'tooManyGroups':
      return reply(403, 'Too Many Groups');
    case 'tooManyContacts':
      return reply(403, `Contact Limit Reached (${r.max})`);
    case 'badUri':
      return reply(400, 'Bad Contact URI');
  }
}

/** Sends `body` on every roaming-contacts dialog of the user (all their endpoints, the sender's too). */
async function tellEndpoints(d: OwnSubscriptionDeps, p: Partition, body: string): Promise<void> {
  for (const dlg of await listRecords(d.store, p, dialogs)) {
    if (dlg.value.event === ROAMING_CONTACTS) await notify(d, p, dlg.id, body, CONTENT_TYPE.roamingContacts).catch(() => false);
  }
}

/**
 * A contact management SERVICE ([MS-SIP] §3.7.4.3, §3.7.4.4): To, From and Request-URI are the user;
 * one SOAP primitive applies whole, checked against the deltaNum it names, or not at all. The delta
 * goes to every roaming-contacts dialog of the user; addGroup answers the new group's id.
 */
export async function handleContactService(d: OwnSubscriptionDeps, cmd: SipRequestCommand): Promise<SipReply> {
  const to = aorOf(cmd, 'To');
  if (!to || !sameAor(to, cmd.user)) return reply(403, 'Only The Owner Manages A Contact List');
  const op = parseContactOp(cmd.body);
  if (!op.ok) return reply(400, op.error.message.slice(0, 120));
  const p: Partition = { pool: d.pool, user: cmd.user };
  // Two endpoints at once: the loser of the compare-and-set reads again and is refused by deltaNum.
  for (let attempt = 0; attempt < 3; attempt++) {
    const { list, version } = await readList(d, p);
    const out = applyContactOp(list, op.value, { maxContacts: d.config.MAX_CONTACTS });
    if (!out.ok) return refusalReply(out.refusal);
    const written = await d.store.apply(p, [put(contactLists, out.list, { expect: version })]);
    if (!written.ok) continue;
    await tellEndpoints(d, p, buildContactDelta(out.delta));
    return out.groupId !== undefined
      ? reply(200, undefined, [{ name: 'Content-Type', value: CONTENT_TYPE.soap }], buildAddGroupResult(out.groupId))
      : reply(200);
  }
  return reply(500, 'Concurrent Change, Retry');
}

/** Replaces a user's list (admin seeding); every roaming-contacts dialog gets the full new list. */
export async function replaceContactList(d: OwnSubscriptionDeps, req: SetContactListRequest): Promise<SetContactListReply> {
  const p: Partition = { pool: d.pool, user: req.user };
  const { list, version } = await readList(d, p);
  const next = contactListFromSeed(list.deltaNum, req, { maxContacts: d.config.MAX_CONTACTS });
  if (typeof next === 'string') throw new ContactListError(next);
  const written = await d.store.apply(p, [put(contactLists, next, { expect: version })]);
  if (!written.ok) throw new ContactListError('the list changed meanwhile; try again');
  await tellEndpoints(d, p, buildContactList(next));
  return { deltaNum: next.deltaNum, groups: next.groups.length, contacts: next.contacts.length };
}
