import { describe, expect, it } from 'vitest';
import {
  buildBatchSubscribe,
  buildCategories,
  buildClientPublish,
  buildContactDelta,
  buildContactList,
  buildDeleteContact,
  buildFault,
  buildMultipart,
  buildSetContact,
  buildSetContainerMember,
  parseBatchSub,
  parseCategoryNotify,
  parseContactDocument,
  parseContactOp,
  parseFaultVersions,
  parsePublish,
  parseSetContainerMembers,
} from '../src/index.js';

const ALICE = 'sip:alice@contoso.com';

describe('gateway documents: what a protocol edge sends for its clients, read back by the services’ own parsers', () => {
  it('builds a publish of an endpoint machineState and a note per container ([MS-PRES] §2.2.2.2.1)', () => {
    const body = buildClientPublish(ALICE, [{ type: 'machineState', instance: 7, container: 2, version: 3, availability: 15500, activity: 'Away' }], { instance: 8, containers: [{ id: 200, version: 0 }, { id: 400, version: 1 }], text: 'at <lunch> & back' });
    const doc = parsePublish(body);
    expect(doc.ok && doc.value.publications.map((p) => [p.categoryName, p.instance, p.container, p.version, p.expireType])).toEqual([
      ['state', '7', 2, 3, 'endpoint'],
      ['note', '8', 200, 0, 'endpoint'],
      ['note', '8', 400, 1, 'endpoint'],
    ]);
    expect(body).toContain('<availability>15500</availability><activity token="Away"/>');
    expect(body).toContain('<body type="personal" uri="">at &lt;lunch&gt; &amp; back</body>');
  });

  it('builds batch subscriptions, container membership and contact SOAP the services accept', () => {
    const sub = parseBatchSub(buildBatchSubscribe(ALICE, 'subscribe', ['sip:bob@contoso.com'], ['state', 'note']));
    expect(sub.ok && sub.value[0]!.resources.map((r) => r.uri)).toEqual(['sip:bob@contoso.com']);
    const members = parseSetContainerMembers(buildSetContainerMember(200, 4, 'add', 'user', 'sip:bob@contoso.com'));
    expect(members.ok && members.value).toEqual([{ index: 1, id: 200, version: 4, members: [{ type: 'user', value: 'sip:bob@contoso.com', action: 'add' }] }]);
    const set = parseContactOp(buildSetContact({ uri: 'sip:bob@contoso.com', name: 'B&b', groups: [1, 3], subscribed: true }, 5));
    expect(set.ok && set.value).toMatchObject({ op: 'setContact', deltaNum: 5, contact: { uri: 'sip:bob@contoso.com', name: 'B&b', groups: [1, 3], subscribed: true } });
    const del = parseContactOp(buildDeleteContact('sip:bob@contoso.com', 6));
    expect(del.ok && del.value).toEqual({ op: 'deleteContact', deltaNum: 6, uri: 'sip:bob@contoso.com' });
  });

  it('reads category notifications, whole or multipart/related, with emptied categories as null', () => {
    const state = buildCategories('sip:bob@contoso.com', [
      { name: 'state', instance: '1', data: '<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="aggregateState"><availability>6500</availability><activity token="on-the-phone"/></state>' },
      { name: 'note', instance: '0', data: '<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">call me</body></note>' },
    ]);
    expect(parseCategoryNotify('application/msrtc-event-categories+xml', state)).toEqual([{ uri: 'sip:bob@contoso.com', availability: 6500, activity: 'on-the-phone', note: 'call me' }]);
    const emptied = buildCategories('sip:carol@contoso.com', [{ name: 'state' }, { name: 'note' }]);
    const mp = buildMultipart('b1', [
      { headers: [['Content-Type', 'application/rlmi+xml']], body: '<list xmlns="urn:ietf:params:xml:ns:rlmi"/>' },
      { headers: [['Content-Type', 'application/msrtc-event-categories+xml']], body: state },
      { headers: [['Content-Type', 'application/msrtc-event-categories+xml']], body: emptied },
    ]);
    expect(parseCategoryNotify(mp.contentType, mp.body)).toEqual([
      { uri: 'sip:bob@contoso.com', availability: 6500, activity: 'on-the-phone', note: 'call me' },
      { uri: 'sip:carol@contoso.com', availability: null, note: null },
    ]);
    expect(parseCategoryNotify('text/plain', state)).toEqual([]);
    expect(parseCategoryNotify('application/msrtc-event-categories+xml', '<!DOCTYPE x><categories/>')).toEqual([]);
  });

  it('reads contact lists and deltas as the subscription service writes them ([MS-SIP] §2.2.4.1, §3.7)', () => {
    const list = parseContactDocument(buildContactList({ deltaNum: 4, groups: [{ id: 1, name: '~', externalURI: '' }], contacts: [{ uri: 'sip:bob@contoso.com', name: 'Bob', groups: [1], subscribed: true, externalURI: '' }] }));
    expect(list.ok && list.value).toEqual({ kind: 'list', deltaNum: 4, groups: [{ id: 1, name: '~', externalURI: '' }], contacts: [{ uri: 'sip:bob@contoso.com', name: 'Bob', groups: [1], subscribed: true, externalURI: '' }] });
    const delta = parseContactDocument(
      buildContactDelta({ deltaNum: 5, prevDeltaNum: 4, addedGroups: [], modifiedGroups: [], addedContacts: [{ uri: 'sip:dave@contoso.com', name: '', groups: [1], subscribed: true, externalURI: '' }], modifiedContacts: [], deletedGroups: [], deletedContacts: ['sip:bob@contoso.com'] }),
    );
    expect(delta.ok && delta.value).toEqual({ kind: 'delta', deltaNum: 5, prevDeltaNum: 4, upserted: [{ uri: 'sip:dave@contoso.com', name: '', groups: [1], subscribed: true, externalURI: '' }], deleted: ['sip:bob@contoso.com'] });
    expect(parseContactDocument('<other deltaNum="1"/>').ok).toBe(false);
  });

  it('reads the current versions of a 409 fault ([MS-PRES] §2.2.2.2.3)', () => {
    expect([...parseFaultVersions(buildFault([{ index: 1, version: 0, curVersion: 3, data: '<x/>' }, { index: 3, version: 1, curVersion: 2, data: '' }]))]).toEqual([
      [1, 3],
      [3, 2],
    ]);
    expect(parseFaultVersions('not xml').size).toBe(0);
  });
});
