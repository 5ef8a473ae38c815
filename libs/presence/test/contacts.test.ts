import fc from 'fast-check';
import type { ContactList, ContactOp } from '@presence/documents';
import { describe, expect, it } from 'vitest';
import { applyContactOp, DEFAULT_GROUP, emptyContactList } from '../src/index.js';

const limits = { maxContacts: 3 };
const apply = (list: ContactList, op: ContactOp) => applyContactOp(list, op, limits);
const contact = (uri: string, groups: number[] = []) => ({ uri, name: '', groups, subscribed: true, externalURI: '' });

function ok(list: ContactList, op: ContactOp) {
  const r = apply(list, op);
  if (!r.ok) throw new Error(`refused: ${JSON.stringify(r.refusal)}`);
  return r;
}

describe('contact list rules ([MS-SIP] §3.7.4.3, §3.7.4.4)', () => {
  it('finds a contact stored without the scheme (lists written before) by either form, and deletes it with the scheme', () => {
    const old: ContactList = { deltaNum: 4, groups: [DEFAULT_GROUP], contacts: [contact('carol@contoso.com', [1])] };
    const m = ok(old, { op: 'setContact', deltaNum: 4, contact: contact('sip:carol@contoso.com', [1]) });
    expect(m.delta.modifiedContacts.map((c) => c.uri)).toEqual(['sip:carol@contoso.com']);
    const d = ok(old, { op: 'deleteContact', deltaNum: 4, uri: 'sip:Carol@contoso.com' });
    expect(d.delta.deletedContacts).toEqual(['sip:carol@contoso.com']);
    expect(d.list.contacts).toEqual([]);
  });

  it('starts with the default group 1 "~" and deltaNum 0', () => {
    expect(emptyContactList()).toEqual({ deltaNum: 0, groups: [DEFAULT_GROUP], contacts: [] });
  });

  it('adds a group with the lowest free id, then a contact in it; each change raises deltaNum by one', () => {
    const g = ok(emptyContactList(), { op: 'addGroup', deltaNum: 0, name: 'Friends', externalURI: '' });
    expect(g.groupId).toBe(2);
    expect(g.delta).toMatchObject({ deltaNum: 1, prevDeltaNum: 0, addedGroups: [{ id: 2, name: 'Friends' }] });
    const c = ok(g.list, { op: 'setContact', deltaNum: 1, contact: contact('sip:Bob@Contoso.com', [2]) });
    expect(c.list.deltaNum).toBe(2);
    // Written with the scheme, in the delta as in the list (a client subscribes to the delta's URI as written).
    expect(c.delta.addedContacts).toEqual([contact('sip:bob@contoso.com', [2])]);
    expect(c.list.contacts).toEqual([contact('sip:bob@contoso.com', [2])]);
    // Without the scheme: the same contact.
    const m = ok(c.list, { op: 'setContact', deltaNum: 2, contact: { ...contact('bob@contoso.com', [1, 2]), name: 'Bob' } });
    expect(m.delta.modifiedContacts).toEqual([{ ...contact('sip:bob@contoso.com', [1, 2]), name: 'Bob' }]);
    expect(m.list.contacts).toHaveLength(1);
    expect(m.list.contacts).toHaveLength(1);
  });

  it('puts a contact named in no group into the default group', () => {
    expect(ok(emptyContactList(), { op: 'setContact', deltaNum: 0, contact: contact('a@contoso.com') }).list.contacts[0]!.groups).toEqual([1]);
  });

  it.each<[string, (l: ContactList) => ContactOp, string]>([
    ['a stale deltaNum', () => ({ op: 'addGroup', deltaNum: 5, name: 'X', externalURI: '' }), 'wrongDelta'],
    ['an unknown group on setContact', (l) => ({ op: 'setContact', deltaNum: l.deltaNum, contact: contact('a@contoso.com', [9]) }), 'unknownGroup'],
    ['deleting the default group', (l) => ({ op: 'deleteGroup', deltaNum: l.deltaNum, id: 1 }), 'defaultGroup'],
    ['deleting a group that still holds contacts', (l) => ({ op: 'deleteGroup', deltaNum: l.deltaNum, id: 2 }), 'groupNotEmpty'],
    ['modifying an unknown group', (l) => ({ op: 'modifyGroup', deltaNum: l.deltaNum, id: 7, name: 'Z', externalURI: '' }), 'unknownGroup'],
    ['a second group with the same name', (l) => ({ op: 'addGroup', deltaNum: l.deltaNum, name: 'Friends', externalURI: '' }), 'duplicateGroup'],
    ['deleting a contact not in the list', (l) => ({ op: 'deleteContact', deltaNum: l.deltaNum, uri: 'nobody@contoso.com' }), 'unknownContact'],
    ['a contact URI that is not user@host', (l) => ({ op: 'setContact', deltaNum: l.deltaNum, contact: contact('bob') }), 'badUri'],
    ['a contact over the limit', (l) => ({ op: 'setContact', deltaNum: l.deltaNum, contact: contact('d@contoso.com') }), 'tooManyContacts'],
  ])('refuses %s and changes nothing', (_, make, kind) => {
    let l = ok(emptyContactList(), { op: 'addGroup', deltaNum: 0, name: 'Friends', externalURI: '' }).list;
    for (const u of ['a@contoso.com', 'b@contoso.com', 'c@contoso.com']) l = ok(l, { op: 'setContact', deltaNum: l.deltaNum, contact: contact(u, [2]) }).list;
    const before = structuredClone(l);
    const r = apply(l, make(l));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.refusal.kind).toBe(kind);
    expect(l).toEqual(before);
  });

  it('keeps its invariants under any sequence of operations (property)', () => {
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('setContact' as const), u: fc.integer({ min: 0, max: 5 }), g: fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 2 }) }),
      fc.record({ op: fc.constant('deleteContact' as const), u: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ op: fc.constant('addGroup' as const), n: fc.integer({ min: 0, max: 5 }) }),
      fc.record({ op: fc.constant('deleteGroup' as const), g: fc.integer({ min: 1, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        let l = emptyContactList();
        for (const o of ops) {
          const op: ContactOp =
            o.op === 'setContact'
              ? { op: 'setContact', deltaNum: l.deltaNum, contact: contact(`u${o.u}@contoso.com`, o.g) }
              : o.op === 'deleteContact'
                ? { op: 'deleteContact', deltaNum: l.deltaNum, uri: `u${o.u}@contoso.com` }
                : o.op === 'addGroup'
                  ? { op: 'addGroup', deltaNum: l.deltaNum, name: `g${o.n}`, externalURI: '' }
                  : { op: 'deleteGroup', deltaNum: l.deltaNum, id: o.g };
          const r = apply(l, op);
          if (r.ok) {
            expect(r.list.deltaNum).toBe(l.deltaNum + 1);
            l = r.list;
          }
        }
        // The default group stays; every contact is in at least one existing group; no duplicates; limit holds.
        expect(l.groups.some((g) => g.id === 1)).toBe(true);
        const ids = new Set(l.groups.map((g) => g.id));
        for (const c of l.contacts) expect(c.groups.length > 0 && c.groups.every((g) => ids.has(g))).toBe(true);
        expect(new Set(l.contacts.map((c) => c.uri)).size).toBe(l.contacts.length);
        expect(l.contacts.length).toBeLessThanOrEqual(limits.maxContacts);
      }),
    );
  });
});
