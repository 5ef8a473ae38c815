import { describe, expect, it } from 'vitest';
import type { ContainerRecord, PublicationRecord, StoredRecord } from '@presence/state';
import { resolveContainer, subscribableCategories, viewFingerprint, watcherViews, type Watcher } from '../src/index.js';

const pub = (container: number, category = 'note', instance = '0'): StoredRecord<PublicationRecord> => ({
  id: `${container}:${category}:${instance}`,
  version: 1,
  value: { categoryName: category, instance, container, expireType: 'static', publishTime: '2026-11-22T10:00:00.000', data: `<v c="${container}"/>` },
});
const set = (id: number, members: ContainerRecord['members']): StoredRecord<ContainerRecord> => ({ id: String(id), version: 1, value: { id, members } });

// A publisher set up as Lync clients do: 100 External (federated), 200 Colleagues (sameEnterprise),
// 300 Workgroup, 400 Personal, 32000 Blocked; note published in all of them and in 0.
const sets = [
  set(100, [{ type: 'federated' }, { type: 'domain', value: 'partner.example' }]),
  set(200, [{ type: 'sameEnterprise' }, { type: 'publicCloud' }]),
  set(300, [{ type: 'user', value: 'team@contoso.com' }, { type: 'domain', value: 'sub.contoso.com' }]),
  set(400, [{ type: 'user', value: 'friend@contoso.com' }, { type: 'user', value: 'team@contoso.com' }]),
  set(32000, [{ type: 'user', value: 'blocked@contoso.com' }]),
  set(500, [{ type: 'everyone' }]),
];
const pubs = [0, 100, 200, 300, 400, 32000].map((c) => pub(c));

describe('container resolution ([MS-PRES] §3.2.5.3, §1.3.1.3.6-7)', () => {
  it.each<[string, Watcher, number | null]>([
    ['a user member (highest container listing them wins)', { uri: 'sip:team@contoso.com', network: 'sameEnterprise' }, 400],
    ['a user member beats sameEnterprise in a higher container', { uri: 'sip:friend@contoso.com', network: 'sameEnterprise' }, 400],
    ['a blocked user sees the blocking container', { uri: 'sip:Blocked@Contoso.com', network: 'sameEnterprise' }, 32000],
    ['a domain member beats sameEnterprise', { uri: 'sip:x@sub.contoso.com', network: 'sameEnterprise' }, 300],
    ['same enterprise', { uri: 'sip:colleague@contoso.com', network: 'sameEnterprise' }, 200],
    ['a federated user', { uri: 'sip:x@fabrikam.com', network: 'federated' }, 100],
    ['a federated user of a listed domain (domain beats federated)', { uri: 'sip:y@partner.example', network: 'federated' }, 100],
    ['a public-cloud user', { uri: 'sip:x@live.example', network: 'publicCloud' }, 200],
  ])('%s', (_n, w, expected) => {
    expect(resolveContainer(w, 'note', pubs, sets)).toBe(expected);
  });

  it('falls back to "everyone" in a container that holds the category, then to container 0', () => {
    const withEveryone = [...pubs, pub(500)];
    expect(resolveContainer({ uri: 'sip:x@fabrikam.com', network: 'publicCloud' }, 'note', withEveryone, sets.filter((s) => s.value.id !== 200))).toBe(500);
    expect(resolveContainer({ uri: 'sip:x@fabrikam.com', network: 'publicCloud' }, 'note', pubs, sets.filter((s) => s.value.id !== 200))).toBe(0);
  });

  it('counts only containers that hold the category; none left means blocked or unpublished (null)', () => {
    // Blocked in 32000, but state is not published there: state comes from 200 (§1.3.1.3.6).
    const statePubs = [pub(200, 'state'), pub(32000, 'note')];
    expect(resolveContainer({ uri: 'sip:blocked@contoso.com', network: 'sameEnterprise' }, 'state', statePubs, sets)).toBe(200);
    expect(resolveContainer({ uri: 'sip:stranger@fabrikam.com', network: 'federated' }, 'state', statePubs, sets)).toBeNull();
    expect(resolveContainer({ uri: 'sip:anyone@contoso.com', network: 'sameEnterprise' }, 'mwi', statePubs, sets)).toBeNull();
  });

  it('shows a subscriber only name, instance, publishTime and data, or an empty element', () => {
    expect(watcherViews('note', 200, pubs)).toEqual([{ name: 'note', instance: '0', publishTime: '2026-11-22T10:00:00.000', data: '<v c="200"/>' }]);
    expect(watcherViews('note', null, pubs)).toEqual([{ name: 'note' }]);
    expect(viewFingerprint(200, watcherViews('note', 200, pubs))).not.toBe(viewFingerprint(400, watcherViews('note', 400, pubs)));
  });

  it('drops private categories from a subscription silently (§3.4.5.1.3)', () => {
    expect(subscribableCategories(['note', 'routing', 'legacyInterop', 'state', 'note', 'dndState'])).toEqual(['note', 'state']);
  });
});
