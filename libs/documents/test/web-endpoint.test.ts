import { describe, expect, it } from 'vitest';
import {
  buildBatchSubscribe,
  buildContactSoap,
  buildMultipart,
  buildSetContainer,
  buildWebPublish,
  parseAddGroupResult,
  parseBatchSub,
  parseContactOp,
  parsePublish,
  parseNotifiedCategories,
  parseSetContainerMembers,
  readPresence,
} from '../src/index.js';

const STATE = (type: string, availability: number, activity = '') =>
  `<state xsi:type="${type}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.microsoft.com/2006/09/sip/state"><availability>${availability}</availability>${activity}</state>`;

describe('documents a web endpoint sends: read back by the services’ own parsers', () => {
  it('[MS-PRES] §2.2.2.2.1: an endpoint-bound state and note publish parses, with escaping, and empty data removes', () => {
    const body = buildWebPublish(
      'sip:alice@contoso.com',
      [{ container: 2, instance: '1342177280', version: 3, type: 'userState', availability: 15500, activity: 'away' }],
      [
        { container: 200, version: 0, text: 'R&D <lab>' },
        { container: 300, version: 1, text: '' },
      ],
      '1610612736',
    );
    const p = parsePublish(body);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value.uri).toBe('sip:alice@contoso.com');
    expect(p.value.publications.map((x) => [x.categoryName, x.container, x.instance, x.version, x.expireType])).toEqual([
      ['state', 2, '1342177280', 3, 'endpoint'],
      ['note', 200, '1610612736', 0, 'endpoint'],
      ['note', 300, '1610612736', 1, 'endpoint'],
    ]);
    expect(body).toContain('<body type="personal" uri="">R&amp;D &lt;lab&gt;</body>');
    expect(body).toContain('manual="true" xsi:type="userState"><availability>15500</availability><activity token="away"/>');
    expect(body).toMatch(/container="300" version="1" expireType="endpoint" expires="0"\/>/);
  });

  it('[MS-PRES] §2.2.2.4.1: a batch SUBSCRIBE body names the resources and categories', () => {
    const b = parseBatchSub(buildBatchSubscribe('sip:alice@contoso.com', 'subscribe', ['sip:bob@contoso.com', 'sip:carol@contoso.com'], ['state', 'note']));
    expect(b.ok).toBe(true);
    if (!b.ok) return;
    expect(b.value[0]!.resources.map((r) => r.uri)).toEqual(['sip:bob@contoso.com', 'sip:carol@contoso.com']);
    expect(b.value[0]!.categories).toEqual(['state', 'note']);
  });

  it('[MS-SIP] §2.2.4.2: each contact primitive parses as the service reads it', () => {
    expect(parseContactOp(buildContactSoap({ op: 'setContact', deltaNum: 4, uri: 'sip:bob@contoso.com', name: 'Bob & Co', groups: [1, 3] }))).toMatchObject({
      ok: true,
      value: { op: 'setContact', deltaNum: 4, contact: { uri: 'sip:bob@contoso.com', name: 'Bob & Co', groups: [1, 3], subscribed: true } },
    });
    expect(parseContactOp(buildContactSoap({ op: 'deleteContact', deltaNum: 5, uri: 'sip:bob@contoso.com' }))).toMatchObject({ ok: true, value: { op: 'deleteContact', uri: 'sip:bob@contoso.com' } });
    expect(parseContactOp(buildContactSoap({ op: 'addGroup', deltaNum: 0, name: 'Team' }))).toMatchObject({ ok: true, value: { op: 'addGroup', name: 'Team' } });
    expect(parseContactOp(buildContactSoap({ op: 'deleteGroup', deltaNum: 2, id: 7 }))).toMatchObject({ ok: true, value: { op: 'deleteGroup', id: 7 } });
    expect(parseAddGroupResult('<SOAP-ENV:Envelope><SOAP-ENV:Body><m:addGroup><m:groupID>12</m:groupID></m:addGroup></SOAP-ENV:Body></SOAP-ENV:Envelope>')).toBe(12);
    expect(parseAddGroupResult('<x/>')).toBeUndefined();
  });

  it('[MS-PRES] §2.2.2.5: setContainerMembers with adds and removes', () => {
    const r = parseSetContainerMembers(buildSetContainer(32000, 2, [{ action: 'add', type: 'user', value: 'carol@contoso.com' }, { action: 'remove', type: 'sameEnterprise' }]));
    expect(r).toMatchObject({ ok: true, value: [{ id: 32000, version: 2, members: [{ type: 'user', value: 'carol@contoso.com', action: 'add' }, { type: 'sameEnterprise', action: 'remove' }] }] });
  });
});

describe('notifications a web endpoint reads', () => {
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
});
