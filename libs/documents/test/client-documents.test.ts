import { describe, expect, it } from 'vitest';
import {
  buildBatchSubscribe,
  buildCategories,
  buildClientPublish,
  buildContactDelta,
  buildContactList,
  buildContactSoap,
  buildEmptyPublish,
  buildFault,
  buildMultipart,
  buildSetContainer,
  parseAddGroupResult,
  parseBatchSub,
  parseContactDocument,
  parseContactOp,
  parseFaultVersions,
  parseNotifiedCategories,
  parsePublish,
  parseSetContainerMembers,
  presentityView,
  readPresence,
} from '../src/index.js';

const ALICE = 'sip:alice@contoso.com';
const STATE = (type: string, availability: number, activity = '') =>
  `<state xsi:type="${type}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>${availability}</availability>${activity}</state>`;
const views = (contentType: string, body: string) => parseNotifiedCategories(contentType, body).map(presentityView);

describe('client documents: what a gateway (web, XMPP) sends for its clients, read back by the services’ own parsers', () => {
  it('[MS-PRES] §2.2.2.2.1: an endpoint machineState and a note per container, with escaping', () => {
    const body = buildClientPublish(ALICE, [{ type: 'machineState', instance: 7, container: 2, version: 3, availability: 15500, activity: 'Away' }], [
      { container: 200, version: 0, text: 'at <lunch> & back' },
      { container: 400, version: 1, text: 'at <lunch> & back' },
    ], 8);
    const doc = parsePublish(body);
    expect(doc.ok && doc.value.publications.map((p) => [p.categoryName, p.instance, p.container, p.version, p.expireType])).toEqual([
      ['state', '7', 2, 3, 'endpoint'],
      ['note', '8', 200, 0, 'endpoint'],
      ['note', '8', 400, 1, 'endpoint'],
    ]);
    expect(body).toContain('<availability>15500</availability><activity token="Away"/>');
    expect(body).toContain('<body type="personal" uri="">at &lt;lunch&gt; &amp; back</body>');
  });

  it('[MS-PRES] §2.2.2.2.1: a userState and notes parse, and a removed note or state has expires 0 and no data', () => {
    const body = buildClientPublish(
      ALICE,
      [
        { container: 2, instance: '1342177280', version: 3, type: 'userState', availability: 15500, activity: 'away' },
        { container: 3, instance: '1342177280', version: 1, type: 'userState', availability: 3500, expires: 0 },
      ],
      [
        { container: 200, version: 0, text: 'R&D <lab>' },
        { container: 300, version: 1, text: '', remove: true },
      ],
      '1610612736',
    );
    const p = parsePublish(body);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.uri).toBe(ALICE);
    expect(p.value.publications.map((x) => [x.categoryName, x.container, x.instance, x.version, x.expireType])).toEqual([
      ['state', 2, '1342177280', 3, 'endpoint'],
      ['state', 3, '1342177280', 1, 'endpoint'],
      ['note', 200, '1610612736', 0, 'endpoint'],
      ['note', 300, '1610612736', 1, 'endpoint'],
    ]);
    expect(body).toContain('<body type="personal" uri="">R&amp;D &lt;lab&gt;</body>');
    expect(body).toContain('manual="true" xsi:type="userState"><availability>15500</availability><activity token="away"/>');
    expect(body).toMatch(/container="3" version="1" expireType="endpoint" expires="0"\/>/);
    expect(body).toMatch(/container="300" version="1" expireType="endpoint" expires="0"\/>/);
  });

  it('[MS-PRES] §2.2.2.2.1: empty static instances for the blocked container', () => {
    const p = parsePublish(buildEmptyPublish(ALICE, 32000, ['state', 'note']));
    expect(p.ok && p.value.publications.map((x) => [x.categoryName, x.container, x.instance, x.version, x.expireType])).toEqual([
      ['state', 32000, '0', 0, 'static'],
      ['note', 32000, '0', 0, 'static'],
    ]);
  });

  it('[MS-PRES] §2.2.2.4.1: a batch SUBSCRIBE body names the resources and categories', () => {
    const b = parseBatchSub(buildBatchSubscribe(ALICE, 'subscribe', ['sip:bob@contoso.com', 'sip:carol@contoso.com'], ['state', 'note']));
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.value[0]!.resources.map((r) => r.uri)).toEqual(['sip:bob@contoso.com', 'sip:carol@contoso.com']);
    expect(b.value[0]!.categories).toEqual(['state', 'note']);
    const u = parseBatchSub(buildBatchSubscribe(ALICE, 'unsubscribe', ['sip:bob@contoso.com'], ['state']));
    expect(u.ok && u.value[0]!.resources.map((r) => r.uri)).toEqual(['sip:bob@contoso.com']);
  });

  it('[MS-PRES] §2.2.2.5: setContainerMembers with one member, and with adds and removes', () => {
    const members = parseSetContainerMembers(buildSetContainer(200, 4, [{ action: 'add', type: 'user', value: 'sip:bob@contoso.com' }]));
    expect(members.ok && members.value).toEqual([{ index: 1, id: 200, version: 4, members: [{ type: 'user', value: 'sip:bob@contoso.com', action: 'add' }] }]);
    const r = parseSetContainerMembers(buildSetContainer(32000, 2, [{ action: 'add', type: 'user', value: 'carol@contoso.com' }, { action: 'remove', type: 'sameEnterprise' }]));
    expect(r).toMatchObject({ ok: true, value: [{ id: 32000, version: 2, members: [{ type: 'user', value: 'carol@contoso.com', action: 'add' }, { type: 'sameEnterprise', action: 'remove' }] }] });
  });

  it('[MS-SIP] §2.2.4.2: each contact primitive parses as the service reads it, escaped', () => {
    expect(parseContactOp(buildContactSoap({ op: 'setContact', deltaNum: 5, uri: 'sip:bob@contoso.com', name: 'B&b', groups: [1, 3] }))).toMatchObject({
      ok: true,
      value: { op: 'setContact', deltaNum: 5, contact: { uri: 'sip:bob@contoso.com', name: 'B&b', groups: [1, 3], subscribed: true } },
    });
    expect(parseContactOp(buildContactSoap({ op: 'setContact', deltaNum: 5, uri: 'sip:bob@contoso.com', name: '', groups: [1], subscribed: false }))).toMatchObject({ ok: true, value: { contact: { subscribed: false } } });
    expect(parseContactOp(buildContactSoap({ op: 'deleteContact', deltaNum: 6, uri: 'sip:bob@contoso.com' }))).toEqual({ ok: true, value: { op: 'deleteContact', deltaNum: 6, uri: 'sip:bob@contoso.com' } });
    expect(parseContactOp(buildContactSoap({ op: 'addGroup', deltaNum: 0, name: 'Team' }))).toMatchObject({ ok: true, value: { op: 'addGroup', name: 'Team' } });
    expect(parseContactOp(buildContactSoap({ op: 'deleteGroup', deltaNum: 2, id: 7 }))).toMatchObject({ ok: true, value: { op: 'deleteGroup', id: 7 } });
    expect(parseAddGroupResult('<SOAP-ENV:Envelope><SOAP-ENV:Body><m:addGroup><m:groupID>12</m:groupID></m:addGroup></SOAP-ENV:Body></SOAP-ENV:Envelope>')).toBe(12);
    expect(parseAddGroupResult('<x/>')).toBeUndefined();
  });
});

describe('notifications a gateway reads ([MS-PRES] §2.2.2.4, §4.5)', () => {
  const categories = (uri: string, inner: string) => `<categories xmlns="http://schemas.microsoft.com/2006/09/sip/categories" uri="${uri}">${inner}</categories>`;

  it('reads every categories part of a multipart/related body (RFC 2046 §5.1.1), skipping the rlmi part', () => {
    const mp = buildMultipart('b0undary', [
      { headers: [['Content-Type', 'application/rlmi+xml']], body: '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:alice@contoso.com" version="0" fullState="false"/>' },
      { headers: [['Content-Type', 'application/msrtc-event-categories+xml']], body: categories('sip:bob@contoso.com', `<category name="state" instance="1" publishTime="2026-01-01T10:00:00">${STATE('aggregateState', 6500)}</category><category name="note"/>`) },
      { headers: [['Content-Type', 'application/msrtc-event-categories+xml']], body: categories('sip:carol@contoso.com', '<category name="state"/>') },
    ]);
    const docs = parseNotifiedCategories(mp.contentType, mp.body);
    expect(docs.map((d) => [d.uri, d.categories.map((c) => [c.name, c.data === '' ? 'empty' : 'data'])])).toEqual([
      ['sip:bob@contoso.com', [['state', 'data'], ['note', 'empty']]],
      ['sip:carol@contoso.com', [['state', 'empty']]],
    ]);
    expect(readPresence(docs[0]!.categories)).toEqual({ availability: 6500, lastActive: '2026-01-01T10:00:00' });
    // A plain (single) categories body, and junk, which yields nothing rather than throwing.
    expect(parseNotifiedCategories('application/msrtc-event-categories+xml', categories('sip:bob@contoso.com', ''))).toEqual([{ uri: 'sip:bob@contoso.com', categories: [] }]);
    expect(parseNotifiedCategories('multipart/related; boundary=x', '--x\r\nContent-Type: application/msrtc-event-categories+xml\r\n\r\n<categories uri="a"><<\r\n--x--\r\n')).toEqual([]);
    expect(parseNotifiedCategories('text/plain', '<!DOCTYPE x [<!ENTITY a "b">]><categories uri="x"/>')).toEqual([]);
  });

  it('reads the aggregate state’s activity, a personal note before others, and the contact card name', () => {
    const r = readPresence([
      { name: 'state', instance: '1', data: STATE('aggregateState', 9500, '<activity token="in-a-meeting"/>'), publishTime: 't' },
      { name: 'note', data: '<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="OOF" uri="">Out</body><body type="personal" uri="">Lunch</body></note>' },
      { name: 'contactCard', data: '<contactCard xmlns="http://schemas.microsoft.com/2006/09/sip/contactcard"><identity><name><displayName>Bob B</displayName></name></identity></contactCard>' },
    ]);
    expect(r).toEqual({ availability: 9500, activity: 'in-a-meeting', note: 'Lunch', displayName: 'Bob B', lastActive: 't' });
    expect(readPresence([{ name: 'state', data: STATE('aggregateState', 3500, '<activity><custom LCID="1033">Interviewing</custom></activity>') }]).activity).toBe('Interviewing');
  });

  it('reads presentity views, whole or multipart/related, with emptied categories as null and only the aggregateState counted', () => {
    const state = buildCategories('sip:bob@contoso.com', [
      { name: 'state', instance: '1', data: '<state xmlns="http://schemas.microsoft.com/2006/09/sip/state" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="aggregateState"><availability>6500</availability><activity token="on-the-phone"/></state>' },
      { name: 'note', instance: '0', data: '<note xmlns="http://schemas.microsoft.com/2006/09/sip/note"><body type="personal" uri="">call me</body></note>' },
    ]);
    expect(views('application/msrtc-event-categories+xml', state)).toEqual([{ uri: 'sip:bob@contoso.com', availability: 6500, activity: 'on-the-phone', note: 'call me' }]);
    const emptied = buildCategories('sip:carol@contoso.com', [{ name: 'state' }, { name: 'note' }]);
    const mp = buildMultipart('b1', [
      { headers: [['Content-Type', 'application/rlmi+xml']], body: '<list xmlns="urn:ietf:params:xml:ns:rlmi"/>' },
      { headers: [['Content-Type', 'application/msrtc-event-categories+xml']], body: state },
      { headers: [['Content-Type', 'application/msrtc-event-categories+xml']], body: emptied },
    ]);
    expect(views(mp.contentType, mp.body)).toEqual([
      { uri: 'sip:bob@contoso.com', availability: 6500, activity: 'on-the-phone', note: 'call me' },
      { uri: 'sip:carol@contoso.com', availability: null, note: null },
    ]);
    // A machine state is an endpoint's input to aggregation, not what a watcher is shown.
    expect(presentityView({ uri: 'sip:dave@contoso.com', categories: [{ name: 'state', data: STATE('machineState', 3500) }] })).toEqual({ uri: 'sip:dave@contoso.com' });
    expect(views('text/plain', state)).toEqual([]);
    expect(views('application/msrtc-event-categories+xml', '<!DOCTYPE x><categories/>')).toEqual([]);
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
